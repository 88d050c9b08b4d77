import { useState, type FormEvent } from "react";
import { api, seg } from "../../api/client";
import type { CreatedInvite, Invite, Plan } from "../../api/account-types";
import { Button } from "../../components/button";
import { ConfirmButton } from "../../components/confirm-button";
import { EmptyState } from "../../components/empty-state";
import { Field } from "../../components/field";
import { Notice } from "../../components/notice";
import { TimeText } from "../../components/time-text";
import { useAction } from "../../hooks/use-action";
import { useApi } from "../../hooks/use-api";
import { SecretOnce } from "../../components/secret-once";
import { SelectField } from "../../components/select-field";

const TTL_CHOICES = [
  { hours: 24, label: "1 day" },
  { hours: 72, label: "3 days" },
  { hours: 168, label: "7 days" },
  { hours: 720, label: "30 days" },
];

/** The sign-up link of an invite: the sign-up screen reads `?invite=`. */
export function inviteLink(origin: string, token: string): string {
  return `${origin}/signup?invite=${encodeURIComponent(token)}`;
}

/**
 * Sign-up invites: create one (for an email and a plan, both optional; the
 * link is shown once, kept until dismissed or the tab is left), list the
 * open ones, withdraw one.
 */
export function InvitesTab() {
  const list = useApi<{ invites: Invite[] }>("/admin/invites");
  const plans = useApi<{ plans: Plan[] }>("/admin/plans");
  const [email, setEmail] = useState("");
  const [plan, setPlan] = useState("");
  const [ttl, setTtl] = useState(72);
  const [made, setMade] = useState<{ link: string; email: string | null }>();
  const [outcome, setOutcome] = useState<string>();
  const create = useAction(async () => {
    const body = {
      ttl_hours: ttl,
      ...(email.trim() ? { email: email.trim() } : {}),
      ...(plan ? { plan } : {}),
    };
    const inv = await api.post<CreatedInvite>("/admin/invites", body);
    setMade({ link: inviteLink(window.location.origin, inv.token), email: inv.email });
    setEmail("");
    setOutcome(undefined);
    list.reload();
  });
  const revoke = useAction(async (inv: Invite) => {
    await api.del(`/admin/invites/${seg(inv.id)}`);
    setOutcome(`Withdrew the invite${inv.email ? ` for ${inv.email}` : ""}.`);
    list.reload();
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void create.run();
  };
  const invites = list.data?.invites ?? [];
  return (
    <section aria-labelledby="invites-h">
      <h2 id="invites-h">Invites</h2>
      <form className="card" onSubmit={submit} noValidate>
        <Notice kind="error">{create.formError(["email", "plan", "ttl_hours"])}</Notice>
        <div className="row">
          <Field
            label="Email (optional)"
            type="email"
            autoComplete="off"
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            error={create.fieldError("email")}
          />
          <div className="field">
            <label htmlFor="invite-plan">Plan</label>
            <select
              id="invite-plan"
              value={plan}
              onChange={(e) => setPlan(e.target.value)}
              aria-invalid={create.fieldError("plan") ? true : undefined}
            >
              <option value="">The default plan</option>
              {(plans.data?.plans ?? []).map((p) => (
                <option key={p.name} value={p.name}>
                  {p.name}
                </option>
              ))}
            </select>
            {create.fieldError("plan") && (
              <small className="field-error" role="alert">
                {create.fieldError("plan")}
              </small>
            )}
          </div>
          <SelectField
            label="Valid for"
            value={ttl}
            options={TTL_CHOICES.map((c) => ({ value: c.hours, label: c.label }))}
            onChange={setTtl}
          />
          <div className="field">
            <Button type="submit" variant="primary" busy={create.pending}>
              {create.pending ? "Creating…" : "Create invite"}
            </Button>
          </div>
        </div>
      </form>
      {made && (
        <SecretOnce
          value={made.link}
          copyLabel="Copy link"
          testId="invite-link"
          doneLabel="Done"
          onDone={() => setMade(undefined)}
        >
          <strong>Invite created{made.email ? ` for ${made.email}` : ""}.</strong> Send this sign-up link; it
          works once. Copy it now: you will not see it again.
        </SecretOnce>
      )}
      <Notice kind="success">{outcome}</Notice>
      <Notice kind="error">{revoke.error?.message ?? list.error?.message}</Notice>
      {list.data && invites.length === 0 && (
        <EmptyState title="No open invites.">Create one above and send its link.</EmptyState>
      )}
      {invites.length > 0 && (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Open invites</caption>
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Plan</th>
                <th scope="col">Created</th>
                <th scope="col">Expires</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {invites.map((inv) => (
                <tr key={inv.id}>
                  <td>{inv.email ?? <span className="muted">anyone with the link</span>}</td>
                  <td>{inv.plan ?? <span className="muted">default</span>}</td>
                  <td>
                    <TimeText iso={inv.created_at} />
                  </td>
                  <td>
                    <TimeText iso={inv.expires_at} />
                  </td>
                  <td>
                    <ConfirmButton
                      label="Withdraw"
                      question="Withdraw this invite? Its link stops working."
                      danger
                      busy={revoke.pending}
                      onConfirm={() => revoke.run(inv)}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
