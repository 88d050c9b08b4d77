import { useState, type FormEvent } from "react";
import { api, seg } from "../../api/client";
import type { ApiToken, CreatedApiToken } from "../../api/account-types";
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

const EXPIRY_CHOICES = [
  { value: "", label: "Never" },
  { value: "30", label: "In 30 days" },
  { value: "90", label: "In 90 days" },
  { value: "365", label: "In a year" },
];

/**
 * API tokens for the CLI and scripts: create (the token is shown once, kept
 * in state only until dismissed or the screen is left), list, revoke.
 */
export function TokensCard() {
  const list = useApi<{ tokens: ApiToken[] }>("/tokens");
  const [name, setName] = useState("");
  const [expiry, setExpiry] = useState("");
  const [created, setCreated] = useState<CreatedApiToken>();
  const [outcome, setOutcome] = useState<string>();
  const create = useAction(async () => {
    const body = expiry ? { name, expires_in_days: Number(expiry) } : { name };
    const t = await api.post<CreatedApiToken>("/tokens", body);
    setCreated(t);
    setName("");
    setOutcome(undefined);
    list.reload();
  });
  const revoke = useAction(async (t: ApiToken) => {
    await api.del(`/tokens/${seg(t.id)}`);
    if (created?.id === t.id) setCreated(undefined);
    setOutcome(`Revoked the token "${t.name}": it no longer works.`);
    list.reload();
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void create.run();
  };
  const tokens = list.data?.tokens ?? [];
  return (
    <section className="card" aria-labelledby="tokens-h">
      <h2 id="tokens-h">API tokens</h2>
      <p className="muted">
        For the <code>wisehosting</code> CLI and scripts: send it as <code>Authorization: Bearer …</code>.
      </p>
      {created && (
        <SecretOnce
          value={created.token}
          copyLabel="Copy token"
          testId="created-token"
          onDone={() => setCreated(undefined)}
        >
          <strong>Token “{created.name}” created.</strong> Copy it now: you will not see it again.
        </SecretOnce>
      )}
      <form onSubmit={submit} noValidate className="row">
        <Field
          label="Token name"
          required
          maxLength={64}
          placeholder="laptop CLI"
          value={name}
          onChange={(e) => setName(e.target.value)}
          error={create.fieldError("name")}
        />
        <SelectField label="Expires" value={expiry} options={EXPIRY_CHOICES} onChange={setExpiry} />
        <div className="field">
          <Button type="submit" variant="primary" busy={create.pending}>
            {create.pending ? "Creating…" : "Create token"}
          </Button>
        </div>
      </form>
      <Notice kind="error">{create.formError(["name"])}</Notice>
      <Notice kind="success">{outcome}</Notice>
      <Notice kind="error">{revoke.error?.message ?? list.error?.message}</Notice>
      {list.data && tokens.length === 0 && (
        <EmptyState title="No API tokens yet.">
          Create one above, then run <code>wisehosting login</code> or set <code>WISEHOSTING_TOKEN</code>.
        </EmptyState>
      )}
      {tokens.length > 0 && (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">API tokens</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">Expires</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {tokens.map((t) => (
                <tr key={t.id}>
                  <td>{t.name}</td>
                  <td>
                    <TimeText iso={t.created_at} />
                  </td>
                  <td>
                    <TimeText iso={t.last_used_at} relative />
                  </td>
                  <td>{t.expires_at ? <TimeText iso={t.expires_at} /> : "never"}</td>
                  <td>
                    <ConfirmButton
                      label="Revoke"
                      question={`Revoke “${t.name}”? Scripts using it stop working.`}
                      danger
                      busy={revoke.pending}
                      onConfirm={() => revoke.run(t)}
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
