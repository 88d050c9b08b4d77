import { useCallback, useLayoutEffect, useRef, useState } from "react";
import { Link } from "wouter";
import { seg } from "../../api/client";
import type { BuildLogEnd, DeploymentDetail } from "../../api/apps-types";
import type { App } from "../../api/types";
import { Button } from "../../components/button";
import { Notice } from "../../components/notice";
import { StatusBadge } from "../../components/status-badge";
import { TimeText } from "../../components/time-text";
import { useApi } from "../../hooks/use-api";
import { useEventSource } from "../../hooks/use-event-source";
import { atBottom } from "../../scroll";
import { keepTail, neutraliseLogText } from "./log-text";

export interface DeploymentLogViewProps {
  app: App;
  /** The id from the path, as typed (the API refuses anything that is not a positive integer). */
  deploymentId: string;
  reloadApp: () => void;
}

/**
 * One deployment: its status and source, and its build log streamed from
 * GET /deployments/:id/log?follow=1 (the whole log so far, then new text
 * until it ends), then the final status and error. The log is text in a
 * <pre>, never HTML; it follows new text while the reader is at its bottom.
 */
export function DeploymentLogView({ app, deploymentId, reloadApp }: DeploymentLogViewProps) {
  const id = /^[1-9][0-9]{0,9}$/.test(deploymentId) ? deploymentId : null;
  const detail = useApi<DeploymentDetail>(id === null ? null : `/deployments/${seg(id)}`);
  const [text, setText] = useState("");
  const [end, setEnd] = useState<BuildLogEnd>();
  const [generation, setGeneration] = useState(0);
  const pre = useRef<HTMLPreElement>(null);
  const follow = useRef(true);
  const { reload: reloadDetail } = detail;

  const onLog = useCallback((d: unknown) => {
    const t = (d as { text?: unknown }).text;
    if (typeof t === "string") setText((prev) => keepTail(prev + neutraliseLogText(t)));
  }, []);
  const onEnd = useCallback(
    (d: unknown) => {
      setEnd(d as BuildLogEnd);
      // The deployment's row and the app's status changed with its end.
      reloadDetail();
      reloadApp();
    },
    [reloadDetail, reloadApp],
  );
  const stream = useEventSource(
    id === null ? null : `/deployments/${seg(id)}/log?follow=1`,
    { log: onLog, end: onEnd },
    generation,
  );

  useLayoutEffect(() => {
    const box = pre.current;
    if (box && follow.current) box.scrollTop = box.scrollHeight;
  }, [text]);

  const reconnect = () => {
    setText("");
    setEnd(undefined);
    follow.current = true;
    setGeneration((g) => g + 1);
  };

  const base = `/apps/${seg(app.slug)}`;
  if (id === null || detail.error?.status === 404) {
    return (
      <Notice kind="error">
        There is no deployment {deploymentId} of this app.{" "}
        <Link href={`${base}/deployments`}>All deployments</Link>
      </Notice>
    );
  }
  const d = detail.data?.deployment;
  const status = end?.status ?? d?.status;
  const error = end ? end.error : d?.error;
  return (
    <section aria-labelledby="deployment-title">
      <p>
        <Link href={`${base}/deployments`}>← All deployments</Link>
      </p>
      <div className="page-head">
        <h2 id="deployment-title">Deployment #{id}</h2>
        {status && <StatusBadge status={status} />}
      </div>
      <Notice kind="error">{detail.error?.message}</Notice>
      {d && d.app !== app.slug && (
        <Notice kind="error">This deployment belongs to another app ({d.app}).</Notice>
      )}
      {d && (
        <dl className="details">
          <dt>Source</dt>
          <dd className="mono">
            {d.source_kind === "image" ? d.image : `build of uploaded code → ${d.image}`}
          </dd>
          {d.commit_sha && (
            <>
              <dt>Commit</dt>
              <dd>
                <span className="mono">{d.commit_sha.slice(0, 12)}</span> {d.commit_message}
              </dd>
            </>
          )}
          <dt>Created</dt>
          <dd>
            <TimeText iso={d.created_at} />
          </dd>
          <dt>Finished</dt>
          <dd>{d.finished_at ? <TimeText iso={d.finished_at} /> : <span className="muted">not yet</span>}</dd>
          {d.worker && (
            <>
              <dt>Worker</dt>
              <dd>{d.worker}</dd>
            </>
          )}
        </dl>
      )}
      {error && <Notice kind="error">Deployment failed: {error}</Notice>}
      <div className="log-head">
        <h3 id="build-log-title">Build log</h3>
        <span className="muted" role="status" aria-live="polite">
          {stream === "connecting" && "Connecting…"}
          {stream === "open" && !end && "Streaming live…"}
          {stream === "ended" && end && `Ended: ${end.status ?? "deleted"}`}
        </span>
      </div>
      {stream === "error" && (
        <Notice kind="error">
          The log stream was interrupted.{" "}
          <Button onClick={reconnect} variant="secondary">
            Reconnect
          </Button>
        </Notice>
      )}
      <pre
        ref={pre}
        className="log"
        tabIndex={0}
        aria-labelledby="build-log-title"
        data-testid="build-log"
        onScroll={(e) => {
          follow.current = atBottom(e.currentTarget);
        }}
      >
        {text || (stream === "ended" ? "(this deployment wrote no build log)" : "")}
      </pre>
    </section>
  );
}
