import { useState, type FormEvent } from "react";
import { api } from "../../api/client";
import { useUser } from "../../auth";
import { Button } from "../../components/button";
import { Field } from "../../components/field";
import { Notice } from "../../components/notice";
import { useAction } from "../../hooks/use-action";

/**
 * Change password: the current one and the new one. The API answers with a
 * fresh session cookie and signs out every other session and API token;
 * `onChanged` re-reads the account so the page carries on with the new cookie.
 */
export function PasswordCard({ onChanged }: { onChanged: () => Promise<void> }) {
  const user = useUser();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [done, setDone] = useState(false);
  const change = useAction(async () => {
    await api.post("/me/password", { current_password: current, new_password: next });
    setCurrent("");
    setNext("");
    setDone(true);
    await onChanged();
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setDone(false);
    void change.run();
  };
  return (
    <section className="card" aria-labelledby="password-h">
      <h2 id="password-h">Change password</h2>
      <form onSubmit={submit} noValidate className="narrow-form">
        <Notice kind="success">
          {done && "Password changed. Every other session and API token was signed out."}
        </Notice>
        <Notice kind="error">{change.formError(["current_password", "new_password"])}</Notice>
        {/* For password managers: which account's password this is. */}
        <input hidden readOnly name="username" autoComplete="username" value={user.email} />
        <Field
          label="Current password"
          type="password"
          autoComplete="current-password"
          required
          value={current}
          onChange={(e) => setCurrent(e.target.value)}
          error={change.fieldError("current_password")}
        />
        <Field
          label="New password"
          type="password"
          autoComplete="new-password"
          required
          hint="At least 10 characters."
          value={next}
          onChange={(e) => setNext(e.target.value)}
          error={change.fieldError("new_password")}
        />
        <Button type="submit" variant="primary" busy={change.pending}>
          {change.pending ? "Changing…" : "Change password"}
        </Button>
      </form>
    </section>
  );
}
