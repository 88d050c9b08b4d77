import { useState, type FormEvent } from "react";
import { api, seg } from "../../api/client";
import type { Domain, DomainResponse, DomainsResponse } from "../../api/obs-types";
import { Button } from "../../components/button";
import { ConfirmButton } from "../../components/confirm-button";
import { CopyButton } from "../../components/copy-button";
import { EmptyState } from "../../components/empty-state";
import { Field } from "../../components/field";
import { Notice } from "../../components/notice";
import { TimeText } from "../../components/time-text";
import { useAction } from "../../hooks/use-action";
import { useApi } from "../../hooks/use-api";
import type { AppTabProps } from "./app-tab-props";

interface DomainItemProps {
  slug: string;
  domain: Domain;
  onChanged: () => void;
  onRemoved: (hostname: string) => void;
}

function DomainItem({ slug, domain, onChanged, onRemoved }: DomainItemProps) {
  const [verified, setVerified] = useState(false);
  const base = `/apps/${seg(slug)}/domains/${seg(domain.hostname)}`;
  const verify = useAction(async () => {
    await api.post<DomainResponse>(`${base}/verify`);
    setVerified(true);
    onChanged();
  });
  const remove = useAction(async () => {
    await api.del(base);
    onRemoved(domain.hostname);
  });
  return (
    <li className="card domain">
      <div className="domain-head">
        <h3 className="domain-name">{domain.hostname}</h3>
        {domain.verified ? (
          <span className="badge badge-ok">verified</span>
        ) : (
          <span className="badge badge-warn">not verified</span>
        )}
      </div>
      {domain.verified ? (
        <p className="muted">
          Verified <TimeText iso={domain.verified_at} />: requests for {domain.hostname} reach this app while
          it runs. Point its DNS (A/AAAA or CNAME) at the platform.
        </p>
      ) : (
        <div className="stack">
          <p>To prove you control this name, create this DNS TXT record, then press Verify:</p>
          <dl className="txt-record">
            <div>
              <dt>Name</dt>
              <dd>
                <code>{domain.txt_record.name}</code>
                <CopyButton text={domain.txt_record.name} label="Copy name" />
              </dd>
            </div>
            <div>
              <dt>Value</dt>
              <dd>
                <code>{domain.txt_record.value}</code>
                <CopyButton text={domain.txt_record.value} label="Copy value" />
              </dd>
            </div>
          </dl>
          <p className="muted">DNS changes can take a few minutes to be visible.</p>
        </div>
      )}
      <Notice kind="error">{verify.error?.message}</Notice>
      <Notice kind="success">{verified && domain.verified && `${domain.hostname} is verified.`}</Notice>
      <Notice kind="error">{remove.error?.message}</Notice>
      <div className="row">
        {!domain.verified && (
          <Button variant="primary" busy={verify.pending} onClick={() => void verify.run()}>
            {verify.pending ? "Verifying…" : "Verify"}
          </Button>
        )}
        <ConfirmButton
          label="Remove"
          danger
          busy={remove.pending}
          question={`Remove ${domain.hostname}? The proxy stops routing it to this app.`}
          confirmLabel={`Yes, remove ${domain.hostname}`}
          onConfirm={() => remove.run()}
        />
      </div>
    </li>
  );
}

/**
 * The app's custom domains: add a hostname, create the TXT record shown
 * (with copy buttons), verify it, remove it. Every answer of the API is
 * shown: add errors beside the hostname field, verify's (what DNS holds)
 * with the domain.
 */
export function AppDomainsTab({ app }: AppTabProps) {
  const path = `/apps/${seg(app.slug)}/domains`;
  const list = useApi<DomainsResponse>(path);
  const [hostname, setHostname] = useState("");
  const [outcome, setOutcome] = useState<string>();
  const add = useAction(async () => {
    const r = await api.post<DomainResponse>(path, { hostname });
    setHostname("");
    setOutcome(`Added ${r.domain.hostname}: create its TXT record, then verify it.`);
    list.reload();
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setOutcome(undefined);
    void add.run();
  };
  const domains = list.data?.domains ?? [];
  return (
    <section aria-labelledby="domains-heading">
      <h2 id="domains-heading">Domains</h2>
      <form className="card" onSubmit={submit} noValidate>
        <Notice kind="error">{add.formError(["hostname"])}</Notice>
        <Notice kind="success">{outcome}</Notice>
        <div className="row">
          <Field
            label="Hostname"
            className="grow"
            placeholder="www.example.com"
            autoComplete="off"
            spellCheck={false}
            required
            value={hostname}
            onChange={(e) => setHostname(e.target.value)}
            error={add.fieldError("hostname")}
          />
          <div className="field">
            <Button type="submit" variant="primary" busy={add.pending}>
              {add.pending ? "Adding…" : "Add domain"}
            </Button>
          </div>
        </div>
      </form>
      <Notice kind="error">{list.error?.message}</Notice>
      {list.loading && <p role="status">Loading domains…</p>}
      {!list.loading && !list.error && domains.length === 0 && (
        <EmptyState title="No custom domains yet">
          Add a hostname you own above; you will be shown a TXT record to create to prove it is yours.
        </EmptyState>
      )}
      {domains.length > 0 && (
        <ul className="domain-list" aria-label="Custom domains">
          {domains.map((d) => (
            <DomainItem
              key={d.hostname}
              slug={app.slug}
              domain={d}
              onChanged={list.reload}
              onRemoved={(h) => {
                setOutcome(`Removed ${h}.`);
                list.reload();
              }}
            />
          ))}
        </ul>
      )}
    </section>
  );
}
