import { useEffect, useState, type FormEvent } from "react";
import { ApiError, api } from "../../api/client";
import type { TotpSetup } from "../../api/account-types";
import { useUser } from "../../auth";
import { Button } from "../../components/button";
import { CodeField } from "../../components/code-field";
import { CopyButton } from "../../components/copy-button";
import { Notice } from "../../components/notice";
import { QrCode } from "../../components/qr-code";
import { TimeText } from "../../components/time-text";
import { useAction } from "../../hooks/use-action";
import { forgetSetup, rememberSetup, unfinishedSetup } from "../../totp-setup-memory";

/** How long a set-up stays valid on the server (src/web/totp.ts PENDING_TOTP_TTL_MS). */
const SETUP_TTL_MS = 10 * 60 * 1000;

/** Why a set-up is not on screen although one was started. */
type Interrupted = "left" | "expired" | undefined;

const SIGNED_OUT = "Every other session and API token was signed out.";

/**
 * Two-factor authentication. Set-up shows the otpauth URL as a QR code drawn
 * here and the secret as text; both live only in this component's state
 * (dropped on Cancel, on success, at expiry, and when the user leaves the
 * screen). A set-up left or expired is said so, with a way to start again.
 * Enabling and disabling rotate the session cookie (`onChanged` re-reads the
 * account).
 */
export function TwoFactorCard({ onChanged }: { onChanged: () => Promise<void> }) {
  const user = useUser();
  const [setup, setSetup] = useState<TotpSetup>();
  const [code, setCode] = useState("");
  const [outcome, setOutcome] = useState<string>();
  const [interrupted, setInterrupted] = useState<Interrupted>(() => {
    if (user.totp_enabled) return undefined;
    const left = unfinishedSetup(user.id, new Date());
    return left ? (left.expired ? "expired" : "left") : undefined;
  });

  // The set-up's 10 minutes: past them the server refuses the code, so the screen says so first.
  // The server's deadline as this page's clock reads it, never more than the set-up's lifetime
  // (a clock running behind the server's cannot keep a dead secret on screen).
  useEffect(() => {
    if (!setup) return;
    const ms = Math.min(SETUP_TTL_MS, Math.max(0, Date.parse(setup.expires_at) - Date.now()));
    const timer = setTimeout(() => {
      forgetSetup(user.id);
      setSetup(undefined);
      setCode("");
      setInterrupted("expired");
    }, ms);
    return () => clearTimeout(timer);
  }, [setup, user.id]);

  const start = useAction(async () => {
    const s = await api.post<TotpSetup>("/me/totp/setup");
    rememberSetup(user.id, s.expires_at);
    setInterrupted(undefined);
    setOutcome(undefined);
    setCode("");
    setSetup(s);
  });
  const enable = useAction(async () => {
    try {
      await api.post("/me/totp/enable", { code });
    } catch (err) {
      if (err instanceof ApiError && err.code === "totp_setup_expired") {
        setSetup(undefined);
        setCode("");
        forgetSetup(user.id);
        setInterrupted("expired");
        return;
      }
      throw err;
    }
    setSetup(undefined);
    setCode("");
    forgetSetup(user.id);
    setOutcome(`Two-factor authentication is on: log-in now asks for a code. ${SIGNED_OUT}`);
    await onChanged();
  });
  const disable = useAction(async () => {
    await api.post("/me/totp/disable", { code });
    setCode("");
    setOutcome(`Two-factor authentication is off. ${SIGNED_OUT}`);
    await onChanged();
  });
  const cancel = () => {
    setSetup(undefined);
    setCode("");
    forgetSetup(user.id);
    enable.reset();
  };

  const codeField = (action: typeof enable) => (
    <CodeField value={code} onChange={setCode} error={action.fieldError("code")} />
  );
  const submit = (action: typeof enable) => (e: FormEvent) => {
    e.preventDefault();
    void action.run();
  };

  let body;
  if (user.totp_enabled) {
    body = (
      <form onSubmit={submit(disable)} noValidate className="narrow-form">
        <p>
          <span className="badge badge-ok">on</span> Log-in asks for a code from your authenticator app. To
          turn it off, enter a current code.
        </p>
        <Notice kind="error">{disable.formError(["code"])}</Notice>
        {codeField(disable)}
        <Button type="submit" variant="danger" busy={disable.pending}>
          {disable.pending ? "Turning off…" : "Turn off two-factor authentication"}
        </Button>
      </form>
    );
  } else if (setup) {
    body = (
      <form onSubmit={submit(enable)} noValidate className="totp-setup">
        <ol className="steps">
          <li>
            Scan this QR code with an authenticator app (it was drawn in this browser; nothing was sent
            elsewhere).
            <div className="qr-wrap">
              <QrCode text={setup.otpauth_url} label="QR code of the two-factor secret" />
            </div>
          </li>
          <li>
            Or type the secret by hand:
            <div className="secret-line">
              <code className="secret" data-testid="totp-secret">
                {setup.secret}
              </code>
              <CopyButton text={setup.secret} label="Copy secret" />
            </div>
            <small className="hint">
              You will not see this secret again after set-up. It expires at{" "}
              <TimeText iso={setup.expires_at} />.
            </small>
          </li>
          <li>
            Enter the code the app shows to turn two-factor authentication on.
            <Notice kind="error">{enable.formError(["code"])}</Notice>
            {codeField(enable)}
            <div className="row">
              <Button type="submit" variant="primary" busy={enable.pending}>
                {enable.pending ? "Checking…" : "Turn on"}
              </Button>
              <Button onClick={cancel}>Cancel set-up</Button>
            </div>
          </li>
        </ol>
      </form>
    );
  } else {
    body = (
      <>
        <p>
          <span className="badge">off</span> Add a second step to log-in: a 6-digit code from an authenticator
          app on your phone.
        </p>
        <Notice kind="info">
          {interrupted === "left" &&
            "You left a two-factor set-up unfinished, so its secret is no longer shown. Start again to get a new one."}
          {interrupted === "expired" &&
            "The two-factor set-up expired (it lasts 10 minutes) and two-factor authentication is still off. Start again to get a new secret."}
        </Notice>
        <Notice kind="error">{start.error?.message}</Notice>
        <Button variant="primary" busy={start.pending} onClick={() => void start.run()}>
          {interrupted ? "Start set-up again" : "Set up two-factor authentication"}
        </Button>
      </>
    );
  }

  return (
    <section className="card" aria-labelledby="totp-h">
      <h2 id="totp-h">Two-factor authentication</h2>
      <Notice kind="success">{outcome}</Notice>
      {body}
    </section>
  );
}
