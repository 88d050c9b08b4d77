import { useState, type FormEvent } from "react";
import { Link } from "wouter";
import { api } from "../../api/client";
import type { SessionResponse } from "../../api/types";
import { useAuth } from "../../auth";
import { Button } from "../../components/button";
import { CodeField } from "../../components/code-field";
import { Field } from "../../components/field";
import { Notice } from "../../components/notice";
import { useAction } from "../../hooks/use-action";

/**
 * Log-in: email and password; when the account has 2FA the API answers
 * totp_required and the same form asks for the 6-digit code.
 */
export function LoginScreen({ reason }: { reason?: string | undefined }) {
  const { signedIn } = useAuth();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const [needCode, setNeedCode] = useState(false);
  const login = useAction(async () => {
    try {
      const r = await api.post<SessionResponse>(
        "/auth/login",
        needCode ? { email, password, totp_code: code } : { email, password },
        { quiet401: true },
      );
      signedIn(r.user);
    } catch (err) {
      if (err instanceof Error && "code" in err && err.code === "totp_required") {
        setNeedCode(true);
        return;
      }
      throw err;
    }
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void login.run();
  };
  return (
    <main className="auth-page">
      <h1 className="brand">wisehosting</h1>
      <form className="card auth-card" onSubmit={submit} noValidate>
        <h2>{needCode ? "Two-factor code" : "Log in"}</h2>
        <Notice kind="info">{!needCode && reason}</Notice>
        <Notice kind="error">{login.formError(["email", "password", "totp_code"])}</Notice>
        {!needCode ? (
          <>
            <Field
              label="Email"
              type="email"
              autoComplete="username"
              required
              value={email}
              onChange={(e) => setEmail(e.target.value)}
              error={login.fieldError("email")}
            />
            <Field
              label="Password"
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              error={login.fieldError("password")}
            />
          </>
        ) : (
          <CodeField value={code} onChange={setCode} autoFocus error={login.fieldError("totp_code")} />
        )}
        <Button type="submit" variant="primary" busy={login.pending}>
          {login.pending ? "Logging in…" : needCode ? "Verify and log in" : "Log in"}
        </Button>
        {needCode ? (
          <Button
            onClick={() => {
              setNeedCode(false);
              setCode("");
              login.reset();
            }}
          >
            Back
          </Button>
        ) : (
          <p className="muted">
            No account yet? <Link href="/signup">Sign up</Link>
          </p>
        )}
      </form>
    </main>
  );
}
