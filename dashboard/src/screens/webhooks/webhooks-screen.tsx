import { useState } from "react";
import type { Webhook } from "../../api/account-types";
import { Button } from "../../components/button";
import { EmptyState } from "../../components/empty-state";
import { Notice } from "../../components/notice";
import { useApi } from "../../hooks/use-api";
import { WebhookForm } from "./webhook-form";
import { WebhookItem } from "./webhook-item";
import { SecretOnce } from "../../components/secret-once";

/** The server's per-account limit (MAX_WEBHOOKS_PER_USER); the API's own message is shown when it is hit. */
const LIMIT = 20;

/**
 * Webhooks: add one (its signing secret shown once, kept only until
 * dismissed or the screen is left), list them (read on demand), and per
 * webhook: test, deliveries, remove.
 */
export function WebhooksScreen() {
  const list = useApi<{ webhooks: Webhook[] }>("/webhooks");
  const [created, setCreated] = useState<{ url: string; secret: string }>();
  const [outcome, setOutcome] = useState<string>();
  const hooks = list.data?.webhooks ?? [];
  return (
    <>
      <div className="page-head">
        <h1>Webhooks</h1>
        <Button onClick={list.reload} busy={list.loading}>
          Refresh
        </Button>
      </div>
      <p className="muted">
        Events from your apps (deployments, alerts, crashes) are sent to these URLs, signed, and retried when
        the receiver fails. {list.data && `${hooks.length} of ${LIMIT} used.`}
      </p>
      {created && (
        <SecretOnce
          value={created.secret}
          copyLabel="Copy secret"
          testId="webhook-secret"
          onDone={() => setCreated(undefined)}
        >
          <strong>Webhook added for {created.url}.</strong> Its signing secret verifies that requests come
          from wisehosting. Copy it now: you will not see it again.
        </SecretOnce>
      )}
      <Notice kind="success">{outcome}</Notice>
      <WebhookForm
        onCreated={(w, secret) => {
          setOutcome(undefined);
          setCreated({ url: w.url, secret });
          list.reload();
        }}
      />
      <Notice kind="error">{list.error?.message}</Notice>
      {list.data && hooks.length === 0 && (
        <EmptyState title="No webhooks yet.">
          Add one above: a URL of yours or a chat service (Discord, Slack, ntfy…), and the events to send.
        </EmptyState>
      )}
      {hooks.length > 0 && (
        <ul className="plain-list" aria-label="Your webhooks">
          {hooks.map((w) => (
            <WebhookItem
              key={w.id}
              webhook={w}
              onRemoved={() => {
                setOutcome(`Removed the webhook for ${w.url}.`);
                list.reload();
              }}
            />
          ))}
        </ul>
      )}
    </>
  );
}
