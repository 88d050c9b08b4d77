import { useState } from "react";
import { api, seg } from "../../api/client";
import type { Webhook, WebhookTestResult } from "../../api/account-types";
import { Button } from "../../components/button";
import { ConfirmButton } from "../../components/confirm-button";
import { Notice } from "../../components/notice";
import { TimeText } from "../../components/time-text";
import { useAction } from "../../hooks/use-action";
import { WebhookDeliveries } from "./webhook-deliveries";

/** What a test send did, in words. */
function testOutcome(r: WebhookTestResult): { ok: boolean; text: string } {
  if (r.delivered)
    return { ok: true, text: `Test delivered: the receiver answered ${r.status_code ?? "OK"}.` };
  const status = r.status_code === null ? "" : ` (HTTP ${r.status_code})`;
  return { ok: false, text: `Test failed${status}: ${r.error ?? "no answer"}` };
}

/** One webhook: its URL (redacted by the server) and events, Test, its deliveries, Remove. */
export function WebhookItem({ webhook, onRemoved }: { webhook: Webhook; onRemoved: () => void }) {
  const [showDeliveries, setShowDeliveries] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string }>();
  const test = useAction(async () => {
    setResult(undefined);
    setResult(testOutcome(await api.post<WebhookTestResult>(`/webhooks/${seg(webhook.id)}/test`)));
  });
  const remove = useAction(async () => {
    await api.del(`/webhooks/${seg(webhook.id)}`);
    onRemoved();
  });
  const headingId = `webhook-${webhook.id}-h`;
  return (
    <li className="card webhook">
      <div className="section-head">
        <h2 id={headingId} className="webhook-url mono">
          {webhook.url}
        </h2>
        {!webhook.enabled && <span className="badge">disabled</span>}
      </div>
      <p className="muted">
        Added <TimeText iso={webhook.created_at} />. Events:{" "}
        {webhook.events.map((e) => (
          <code key={e} className="event-chip">
            {e}
          </code>
        ))}
      </p>
      <Notice kind={result?.ok ? "success" : "error"}>{result?.text}</Notice>
      <Notice kind="error">{test.error?.message ?? remove.error?.message}</Notice>
      <div className="row">
        <Button onClick={() => void test.run()} busy={test.pending}>
          {test.pending ? "Sending test…" : "Send test"}
        </Button>
        <Button aria-expanded={showDeliveries} onClick={() => setShowDeliveries((s) => !s)}>
          {showDeliveries ? "Hide deliveries" : "Show deliveries"}
        </Button>
        <ConfirmButton
          label="Remove"
          question="Remove this webhook and its delivery history?"
          danger
          busy={remove.pending}
          onConfirm={() => remove.run()}
        />
      </div>
      {showDeliveries && <WebhookDeliveries webhookId={webhook.id} />}
    </li>
  );
}
