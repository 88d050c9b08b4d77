import type { Worker } from "../../api/account-types";
import { Button } from "../../components/button";
import { EmptyState } from "../../components/empty-state";
import { Meter } from "../../components/meter";
import { Notice } from "../../components/notice";
import { StatusBadge } from "../../components/status-badge";
import { TimeText } from "../../components/time-text";
import { formatMb, formatMillicores } from "../../format";
import { useApi } from "../../hooks/use-api";
import { Link } from "wouter";

/** Heartbeats arrive every few seconds; the list needs no fresher view than this. */
const REFRESH_MS = 15_000;

/** The worker fleet: status, zone, capacity used/total, last heartbeat, agent version. */
export function WorkersTab() {
  const list = useApi<{ workers: Worker[] }>("/admin/workers", { refreshMs: REFRESH_MS });
  const workers = list.data?.workers ?? [];
  return (
    <section aria-labelledby="workers-h">
      <div className="section-head">
        <h2 id="workers-h">Workers</h2>
        <Button onClick={list.reload} busy={list.loading}>
          Refresh
        </Button>
      </div>
      <p className="muted">Refreshed every 15 seconds while this tab is visible.</p>
      <Notice kind="error">{list.error?.message}</Notice>
      {list.data && workers.length === 0 && (
        <EmptyState title="No workers yet: apps have nowhere to run.">
          Create a <Link href="/admin/join-token">join token</Link> and run the command it shows on the new
          machine.
        </EmptyState>
      )}
      {workers.length > 0 && (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Workers</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Status</th>
                <th scope="col">Zone</th>
                <th scope="col">CPU</th>
                <th scope="col">Memory</th>
                <th scope="col" className="num">
                  Apps
                </th>
                <th scope="col">Last heartbeat</th>
                <th scope="col">Agent</th>
              </tr>
            </thead>
            <tbody>
              {workers.map((w) => (
                <tr key={w.id}>
                  <td>
                    <strong>{w.name}</strong>
                    {w.public_ip && <div className="muted mono">{w.public_ip}</div>}
                  </td>
                  <td>
                    <StatusBadge status={w.status} />
                  </td>
                  <td>{w.zone}</td>
                  <td className="capacity">
                    <Meter used={w.used_cpu_millicores} total={w.cpu_millicores} label={`CPU of ${w.name}`} />
                    <span className="usage-numbers">
                      {formatMillicores(w.used_cpu_millicores)} of {formatMillicores(w.cpu_millicores)}
                    </span>
                  </td>
                  <td className="capacity">
                    <Meter used={w.used_memory_mb} total={w.memory_mb} label={`Memory of ${w.name}`} />
                    <span className="usage-numbers">
                      {formatMb(w.used_memory_mb)} of {formatMb(w.memory_mb)}
                    </span>
                  </td>
                  <td className="num">{w.running_apps}</td>
                  <td>
                    <TimeText iso={w.last_heartbeat} relative />
                  </td>
                  <td className="mono">{w.agent_version ?? "–"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
