import { useState } from "react";
import { Link } from "wouter";
import { seg } from "../../api/client";
import type { Deployment } from "../../api/apps-types";
import { Button } from "../../components/button";
import { EmptyState } from "../../components/empty-state";
import { Notice } from "../../components/notice";
import { StatusBadge } from "../../components/status-badge";
import { TimeText } from "../../components/time-text";
import { useApi } from "../../hooks/use-api";
import { deployCommand } from "../apps/cli-commands";
import { formatDuration } from "../apps/stats-format";
import type { AppTabProps } from "./app-tab-props";
import { isDeploymentFinal } from "./deployment-status";

/** The list refreshes on its own only while a deployment is in progress, and no faster than this. */
export const DEPLOYMENTS_REFRESH_MS = 15_000;

function Source({ d }: { d: Deployment }) {
  return (
    <>
      {d.source_kind === "image" ? (
        <span className="mono">{d.image}</span>
      ) : (
        <span>build of uploaded code</span>
      )}
      {d.commit_sha && (
        <div className="muted">
          <small>
            <span className="mono">{d.commit_sha.slice(0, 10)}</span>
            {d.commit_message ? ` ${d.commit_message}` : ""}
          </small>
        </div>
      )}
    </>
  );
}

/** The app's deployments, newest first; each opens its build log. */
export function AppDeploymentsTab({ app }: AppTabProps) {
  const path = `/apps/${seg(app.slug)}/deployments`;
  const [polling, setPolling] = useState(false);
  const list = useApi<{ deployments: Deployment[] }>(
    path,
    polling ? { refreshMs: DEPLOYMENTS_REFRESH_MS } : {},
  );
  const data = list.data;
  // Polls only while a deployment is in progress.
  const inProgress = data?.deployments.some((d) => !isDeploymentFinal(d.status)) ?? false;
  if (inProgress !== polling) setPolling(inProgress);
  const now = new Date();
  return (
    <section aria-labelledby="deployments-title">
      <div className="page-head">
        <h2 id="deployments-title">Deployments</h2>
        <Button onClick={list.reload} busy={list.loading}>
          Refresh
        </Button>
      </div>
      <Notice kind="error">{list.error?.message}</Notice>
      {data && data.deployments.length === 0 && (
        <EmptyState title="No deployments yet.">
          <p>
            Deploy an image from the <Link href={`/apps/${seg(app.slug)}`}>overview</Link>, or a folder with{" "}
            <code>{deployCommand(app.slug)}</code>.
          </p>
        </EmptyState>
      )}
      {data && data.deployments.length > 0 && (
        <div className="table-wrap">
          <table aria-label="Deployments">
            <thead>
              <tr>
                <th scope="col">Deployment</th>
                <th scope="col">Status</th>
                <th scope="col">Source</th>
                <th scope="col">Created</th>
                <th scope="col">Duration</th>
                <th scope="col">Error</th>
              </tr>
            </thead>
            <tbody>
              {data.deployments.map((d) => (
                <tr key={d.id}>
                  <td>
                    <Link href={`/apps/${seg(app.slug)}/deployments/${d.id}`}>
                      #{d.id}
                      {d.id === app.current_deployment_id ? " (current)" : ""}
                    </Link>
                  </td>
                  <td>
                    <StatusBadge status={d.status} />
                  </td>
                  <td>
                    <Source d={d} />
                  </td>
                  <td>
                    <TimeText iso={d.created_at} />
                  </td>
                  <td className="num">{formatDuration(d.started_at ?? d.created_at, d.finished_at, now)}</td>
                  <td className="deployment-error">{d.error ?? ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
