import { Link } from "wouter";
import { seg } from "../../api/client";
import type { LiveStats } from "../../api/apps-types";
import { Meter } from "../../components/meter";
import { Notice } from "../../components/notice";
import { StatusBadge } from "../../components/status-badge";
import { TimeText } from "../../components/time-text";
import { formatBytes, formatMb, formatMillicores, formatPercent, formatRate } from "../../format";
import { useApi } from "../../hooks/use-api";
import { AppUrlLink } from "../apps/app-url-link";
import { cpuOfLimit, formatCpuPct } from "../apps/stats-format";
import type { AppTabProps } from "./app-tab-props";
import { DeployImageForm } from "./deploy-image-form";

/** Live stats refresh this often (the worker reports every few seconds). */
export const LIVE_STATS_REFRESH_MS = 5000;

function LiveStatsCard({ slug, cpuMillicores }: { slug: string; cpuMillicores: number }) {
  const live = useApi<{ stats: LiveStats | null }>(`/apps/${seg(slug)}/stats`, {
    refreshMs: LIVE_STATS_REFRESH_MS,
  });
  const s = live.data?.stats;
  return (
    <section className="card" aria-labelledby="live-title">
      <h2 id="live-title">Live usage</h2>
      <Notice kind="error">{live.error && `Cannot read live stats: ${live.error.message}`}</Notice>
      {live.data && !s && (
        <p className="muted">No live stats: they appear while the app runs on a worker, every few seconds.</p>
      )}
      {s && (
        <dl className="stats-grid" data-testid="live-stats">
          <div>
            <dt>CPU</dt>
            <dd>
              {formatCpuPct(s.cpu_pct)} <span className="muted">of one CPU</span>
              <Meter
                used={Math.min(s.cpu_pct, cpuMillicores / 10)}
                total={cpuMillicores / 10}
                label="CPU used of the app's limit"
              />
              <small className="muted">
                {formatPercent(cpuOfLimit(s.cpu_pct, cpuMillicores))} of its {formatMillicores(cpuMillicores)}
              </small>
            </dd>
          </div>
          <div>
            <dt>Memory</dt>
            <dd>
              {formatBytes(s.mem_bytes)} <span className="muted">/ {formatBytes(s.mem_limit)}</span>
              <Meter used={s.mem_bytes} total={s.mem_limit} label="Memory used of the app's limit" />
            </dd>
          </div>
          <div>
            <dt>Network</dt>
            <dd>
              {formatRate(s.net_mbps, "Mbit/s")}
              <br />
              <small className="muted">{formatBytes(s.net_total_bytes)} in and out since start</small>
            </dd>
          </div>
          <div>
            <dt>Disk</dt>
            <dd>{formatRate(s.disk_mbps, "MB/s")}</dd>
          </div>
        </dl>
      )}
      {s && (
        <p className="muted">
          <small>
            Reported <TimeText iso={s.updated_at} relative />; refreshes every {LIVE_STATS_REFRESH_MS / 1000}{" "}
            s.
          </small>
        </p>
      )}
    </section>
  );
}

/** The app at a glance: status, URL, worker, current deployment, limits, live stats; and "deploy image". */
export function AppOverviewTab({ app, reloadApp }: AppTabProps) {
  const base = `/apps/${seg(app.slug)}`;
  return (
    <div className="overview">
      <section className="card" aria-labelledby="details-title">
        <h2 id="details-title">Details</h2>
        <dl className="details">
          <dt>Status</dt>
          <dd>
            <StatusBadge status={app.status} />
          </dd>
          <dt>URL</dt>
          <dd>
            <AppUrlLink url={app.url} />
          </dd>
          <dt>Worker</dt>
          <dd>
            {app.worker ? app.worker.name : <span className="muted">not placed yet</span>}
            {app.zone && <span className="muted"> (zone {app.zone})</span>}
          </dd>
          <dt>Current deployment</dt>
          <dd>
            {app.current_deployment_id !== null ? (
              <Link href={`${base}/deployments/${app.current_deployment_id}`}>
                #{app.current_deployment_id} (build log)
              </Link>
            ) : (
              <span className="muted">none yet: deploy an image below, or with the CLI</span>
            )}
          </dd>
          <dt>Limits</dt>
          <dd>
            {formatMillicores(app.cpu_millicores)}, {formatMb(app.memory_mb)} of memory
          </dd>
          <dt>Env vars</dt>
          <dd>
            <Link href={`${base}/env`}>
              {app.env_names.length} variable{app.env_names.length === 1 ? "" : "s"}
            </Link>
          </dd>
          <dt>Created</dt>
          <dd>
            <TimeText iso={app.created_at} />
          </dd>
          <dt>Updated</dt>
          <dd>
            <TimeText iso={app.updated_at} />
          </dd>
        </dl>
      </section>
      <LiveStatsCard slug={app.slug} cpuMillicores={app.cpu_millicores} />
      <DeployImageForm app={app} reloadApp={reloadApp} />
    </div>
  );
}
