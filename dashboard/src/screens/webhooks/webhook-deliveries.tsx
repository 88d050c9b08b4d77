import { seg } from "../../api/client";
import type { WebhookDelivery } from "../../api/account-types";
import { Button } from "../../components/button";
import { EmptyState } from "../../components/empty-state";
import { Notice } from "../../components/notice";
import { StatusBadge } from "../../components/status-badge";
import { TimeText } from "../../components/time-text";
import { useApi } from "../../hooks/use-api";

/** One webhook's latest deliveries (newest first), read when opened and on Refresh. */
export function WebhookDeliveries({ webhookId }: { webhookId: number }) {
  const list = useApi<{ deliveries: WebhookDelivery[] }>(`/webhooks/${seg(webhookId)}/deliveries`);
  const rows = list.data?.deliveries ?? [];
  return (
    <div className="deliveries">
      <div className="section-head">
        <h3>Deliveries</h3>
        <Button onClick={list.reload} busy={list.loading}>
          Refresh deliveries
        </Button>
      </div>
      <Notice kind="error">{list.error?.message}</Notice>
      {list.data && rows.length === 0 && (
        <EmptyState title="No deliveries yet.">
          Events you subscribed to are delivered here as they happen. “Send test” checks the URL now (tests
          are not stored).
        </EmptyState>
      )}
      {rows.length > 0 && (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Deliveries of this webhook</caption>
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">Status</th>
                <th scope="col" className="num">
                  Attempts
                </th>
                <th scope="col" className="num">
                  Response
                </th>
                <th scope="col">Created</th>
                <th scope="col">Delivered / next try</th>
                <th scope="col">Last error</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((d) => (
                <tr key={d.id}>
                  <td className="mono">{d.event_type}</td>
                  <td>
                    <StatusBadge status={d.status} />
                  </td>
                  <td className="num">
                    {d.attempts}
                    {d.attempts > 1 && <span className="muted"> ({d.attempts - 1} retries)</span>}
                  </td>
                  <td className="num">{d.last_status_code ?? "–"}</td>
                  <td>
                    <TimeText iso={d.created_at} />
                  </td>
                  <td>
                    {d.delivered_at ? (
                      <TimeText iso={d.delivered_at} />
                    ) : d.next_attempt_at ? (
                      <>
                        next <TimeText iso={d.next_attempt_at} />
                      </>
                    ) : (
                      "–"
                    )}
                  </td>
                  <td className="wrap-cell">{d.last_error ?? "–"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
