import { Link } from "wouter";
import type { AppsStatsResponse, LiveStats } from "../../api/apps-types";
import type { App } from "../../api/types";
import { Button } from "../../components/button";
import { CopyButton } from "../../components/copy-button";
import { EmptyState } from "../../components/empty-state";
import { Notice } from "../../components/notice";
import { StatusBadge } from "../../components/status-badge";
import { formatBytes } from "../../format";
import { useApi } from "../../hooks/use-api";
import { AppUrlLink } from "./app-url-link";
import { FIRST_DEPLOY_COMMAND } from "./cli-commands";
import { formatCpuPct } from "./stats-format";

/** How often the list's live CPU and memory refresh: one request for all apps. */
export const LIST_STATS_REFRESH_MS = 5000;
/** The list itself (statuses, workers) refreshes slowly; a user action reloads it at once. */
export const LIST_REFRESH_MS = 30_000;

function LiveCells({ stats }: { stats: LiveStats | undefined }) {
  if (!stats) {
    return (
      <>
        <td className="num muted">–</td>
        <td className="num muted">–</td>
      </>
    );
  }
  return (
    <>
      <td className="num">{formatCpuPct(stats.cpu_pct)}</td>
      <td className="num">
        {formatBytes(stats.mem_bytes)} <span className="muted">/ {formatBytes(stats.mem_limit)}</span>
      </td>
    </>
  );
}

/** The account's apps with their status, URL, worker and live CPU and memory (every 5 s). */
export function AppsListScreen() {
  const apps = useApi<{ apps: App[] }>("/apps", { refreshMs: LIST_REFRESH_MS });
  const hasApps = (apps.data?.apps.length ?? 0) > 0;
  const stats = useApi<AppsStatsResponse>(hasApps ? "/apps-stats" : null, {
    refreshMs: LIST_STATS_REFRESH_MS,
  });
  return (
    <section aria-labelledby="apps-title">
      <div className="page-head">
        <h1 id="apps-title">Apps</h1>
        <div className="row">
          <Button onClick={apps.reload} busy={apps.loading}>
            Refresh
          </Button>
          <Link href="/new-app" className="btn btn-primary">
            New app
          </Link>
        </div>
      </div>
      <Notice kind="error">{apps.error?.message}</Notice>
      {apps.loading && !apps.data && (
        <p className="muted" role="status">
          Loading apps…
        </p>
      )}
      {apps.data && !hasApps && (
        <EmptyState title="You have no apps yet.">
          <p>
            <Link href="/new-app" className="btn btn-primary">
              Create your first app
            </Link>
          </p>
          <p className="muted">Or deploy a folder with a Dockerfile from your terminal:</p>
          <div className="cli-line">
            <code>{FIRST_DEPLOY_COMMAND}</code>
            <CopyButton text={FIRST_DEPLOY_COMMAND} label="Copy command" />
          </div>
        </EmptyState>
      )}
      {hasApps && apps.data && (
        <>
          <div className="table-wrap">
            <table aria-label="Your apps">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Status</th>
                  <th scope="col">URL</th>
                  <th scope="col">Worker</th>
                  <th scope="col" className="num">
                    CPU
                  </th>
                  <th scope="col" className="num">
                    Memory
                  </th>
                </tr>
              </thead>
              <tbody>
                {apps.data.apps.map((a) => (
                  <tr key={a.slug} data-app={a.slug}>
                    <td>
                      <Link href={`/apps/${encodeURIComponent(a.slug)}`}>{a.name}</Link>
                      <div className="muted mono">
                        <small>{a.slug}</small>
                      </div>
                    </td>
                    <td>
                      <StatusBadge status={a.status} />
                    </td>
                    <td>
                      <AppUrlLink url={a.url} />
                    </td>
                    <td>{a.worker ? a.worker.name : <span className="muted">not placed</span>}</td>
                    <LiveCells stats={stats.data?.stats[a.slug]} />
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <p className="muted">
            <small>
              CPU is a percentage of one CPU; CPU and memory refresh every {LIST_STATS_REFRESH_MS / 1000} s
              {stats.error ? ` (last refresh failed: ${stats.error.message})` : ""}.
            </small>
          </p>
        </>
      )}
    </section>
  );
}
