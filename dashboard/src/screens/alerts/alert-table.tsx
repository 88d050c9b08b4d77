import { Link } from "wouter";
import { seg } from "../../api/client";
import type { Alert } from "../../api/obs-types";
import { StatusBadge } from "../../components/status-badge";
import { TimeText } from "../../components/time-text";

/**
 * Alerts as a table (scrolling sideways on a narrow screen): status, app
 * (a link to its Alerts tab, unless `showApp` is false), kind, what it
 * says, and when it started and resolved, in the browser's time zone.
 */
export function AlertTable({
  alerts,
  caption,
  showApp = true,
}: {
  alerts: readonly Alert[];
  caption: string;
  showApp?: boolean;
}) {
  return (
    <div className="table-wrap">
      <table>
        <caption className="visually-hidden-text">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Status</th>
            {showApp && <th scope="col">App</th>}
            <th scope="col">Kind</th>
            <th scope="col">Message</th>
            <th scope="col">Started</th>
            <th scope="col">Resolved</th>
          </tr>
        </thead>
        <tbody>
          {alerts.map((a) => (
            <tr key={a.id}>
              <td>
                <StatusBadge status={a.status} />
              </td>
              {showApp && (
                <td>
                  {a.app ? (
                    <Link href={`/apps/${seg(a.app)}/alerts`}>{a.app}</Link>
                  ) : (
                    <span className="muted">–</span>
                  )}
                </td>
              )}
              <td>
                {a.kind}
                {a.severity === "critical" && (
                  <span className="badge badge-bad alert-severity">critical</span>
                )}
              </td>
              <td className="alert-message">
                <strong>{a.title}</strong>
                {a.message && <div>{a.message}</div>}
              </td>
              <td>
                <TimeText iso={a.created_at} />
              </td>
              <td>
                {a.resolved_at ? <TimeText iso={a.resolved_at} /> : <span className="muted">ongoing</span>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
