import { useEffect, useState, type FormEvent } from "react";
import { Link } from "wouter";
import { api } from "../../api/client";
import type { SessionResponse, SignupMode } from "../../api/types";
import { useAuth } from "../../auth";
import { Button } from "../../components/button";
import { Field } from "../../components/field";
import { Notice } from "../../components/notice";
import { useAction } from "../../hooks/use-action";
import { useApi } from "../../hooks/use-api";

const MODE_TEXT: Record<SignupMode, string> = {
  first: "This is the first account of this installation: it becomes the administrator.",
  open: "Create your account.",
  invite: "Sign-up here is by invitation: paste the invite token an administrator gave you.",
};

/** Sign-up: the first account (admin), open sign-up, or with an invite token (also from ?invite=). */
export function SignupScreen() {
  const { signedIn } = useAuth();
  const mode = useApi<{ mode: SignupMode }>("/auth/signup-mode");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [invite, setInvite] = useState(() => new URLSearchParams(window.location.search).get("invite") ?? "");
  // The token is in the form now: out of the address bar and the history.
  useEffect(() => {
    if (window.location.search.includes("invite=")) window.history.replaceState(null, "", "/signup");
  }, []);
  const signup = useAction(async () => {
    const body = invite.trim() ? { email, password, invite_token: invite.trim() } : { email, password };
    const r = await api.post<SessionResponse>("/auth/signup", body, { quiet401: true });
    window.history.replaceState(null, "", "/");
    signedIn(r.user);
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void signup.run();
  };
  const m = mode.data?.mode;
  // Without an answer about the mode, or with a token already given, the invite field shows.
  const askInvite = m === "invite" || (m === undefined && !mode.loading) || invite !== "";
  return (
    <main className="auth-page">
      <h1 className="brand">wisehosting</h1>
      <form className="card auth-card" onSubmit={submit} noValidate>
        <h2>Sign up</h2>
        {m && <p className="muted">{MODE_TEXT[m]}</p>}
        <Notice kind="error">
          {mode.error && `Could not ask the server how sign-up works here: ${mode.error.message}`}
        </Notice>
        <Notice kind="error">{signup.formError(["email", "password", "invite_token"])}</Notice>
        <Field
          label="Email"
          type="email"
          autoComplete="email"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          error={signup.fieldError("email")}
        />
        <Field
          label="Password"
          type="password"
          autoComplete="new-password"
          required
          hint="At least 10 characters."
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={signup.fieldError("password")}
        />
        {askInvite && (
          <Field
            label="Invite token"
            autoComplete="off"
            spellCheck={false}
            value={invite}
            onChange={(e) => setInvite(e.target.value)}
            error={signup.fieldError("invite_token")}
          />
        )}
        <Button type="submit" variant="primary" busy={signup.pending}>
          {signup.pending ? "Creating account…" : "Create account"}
        </Button>
        <p className="muted">
          Have an account? <Link href="/">Log in</Link>
        </p>
      </form>
    </main>
  );
}
