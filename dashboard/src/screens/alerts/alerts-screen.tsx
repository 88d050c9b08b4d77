import type { AlertsResponse } from "../../api/obs-types";
import { EmptyState } from "../../components/empty-state";
import { Notice } from "../../components/notice";
import { useApi } from "../../hooks/use-api";
import { AlertTable } from "./alert-table";

/** Alerts change when a rule's condition has held for minutes: a minute's refresh is enough. */
export const ALERTS_REFRESH_MS = 60_000;

/** The Alerts page: the account's active and resolved alerts across its apps (GET /alerts, newest 200). */
export function AlertsScreen() {
  const { data, error, loading } = useApi<AlertsResponse>("/alerts", { refreshMs: ALERTS_REFRESH_MS });
  const alerts = data?.alerts ?? [];
  const active = alerts.filter((a) => a.status === "active");
  const resolved = alerts.filter((a) => a.status === "resolved");
  return (
    <>
      <div className="page-head">
        <h1>Alerts</h1>
      </div>
      <Notice kind="error">{error?.message}</Notice>
      {loading && <p role="status">Loading alerts…</p>}
      {!loading && !error && alerts.length === 0 && (
        <EmptyState title="No alerts yet">
          Alerts fire when an app&apos;s rule holds for its sustain time. Set rules on each app&apos;s Alerts
          tab (Apps → an app → Alerts): CPU, memory, network, disk or offline, with a threshold and minutes.
        </EmptyState>
      )}
      {alerts.length > 0 && (
        <>
          <section aria-labelledby="alerts-active" className="alerts-section">
            <h2 id="alerts-active">Active ({active.length})</h2>
            {active.length === 0 ? (
              <p className="muted">Nothing is firing now.</p>
            ) : (
              <AlertTable alerts={active} caption="Active alerts" />
            )}
          </section>
          <section aria-labelledby="alerts-resolved" className="alerts-section">
            <h2 id="alerts-resolved">Resolved ({resolved.length})</h2>
            {resolved.length === 0 ? (
              <p className="muted">No resolved alerts.</p>
            ) : (
              <AlertTable alerts={resolved} caption="Resolved alerts" />
            )}
          </section>
        </>
      )}
    </>
  );
}
