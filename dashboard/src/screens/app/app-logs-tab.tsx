import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import { seg } from "../../api/client";
import { Button } from "../../components/button";
import { EmptyState } from "../../components/empty-state";
import { Notice } from "../../components/notice";
import { useEventSource } from "../../hooks/use-event-source";
import { atBottom } from "../../scroll";
import {
  appendLogLines,
  EMPTY_LOG_BUFFER,
  filterLogLines,
  LOG_BUFFER_CAP,
  linesSince,
  toLogEntry,
  type LogBuffer,
  type LogEntry,
} from "./log-buffer";
import type { AppTabProps } from "./app-tab-props";
import { SelectField } from "../../components/select-field";

const TAIL_CHOICES = [100, 500, 1000] as const;
/** Lines arriving together are rendered together, at most this often. */
const FLUSH_MS = 100;

function LogLine({ entry }: { entry: LogEntry }) {
  const d = entry.ts ? new Date(entry.ts) : null;
  const valid = d !== null && !Number.isNaN(d.getTime());
  return (
    <div className={`log-line log-${entry.stream}`}>
      {valid && (
        <time className="log-ts" dateTime={d.toISOString()} title={d.toLocaleString()}>
          {d.toLocaleTimeString()}
        </time>
      )}
      {entry.stream === "stderr" && <span className="log-stream">err</span>}
      <span className="log-text">{entry.text}</span>
    </div>
  );
}

/**
 * The app's runtime log, live: the last N lines then every new one
 * (GET /apps/:slug/logs?tail=N&follow=1). Pause freezes the view while the
 * stream keeps filling the buffer; Resume shows what came meanwhile. The
 * buffer keeps the newest LOG_BUFFER_CAP lines. Lines are text: their
 * control characters are neutralised (log-text.ts) and React renders them
 * as text nodes.
 */
export function AppLogsTab({ app }: AppTabProps) {
  const [tail, setTail] = useState<number>(100);
  const [generation, setGeneration] = useState(0);
  const [buffer, setBuffer] = useState<LogBuffer>(EMPTY_LOG_BUFFER);
  const [frozen, setFrozen] = useState<LogBuffer | null>(null);
  const [filter, setFilter] = useState("");
  const pending = useRef<Omit<LogEntry, "id">[]>([]);
  const flushTimer = useRef<ReturnType<typeof setTimeout>>(undefined);
  const path = `/apps/${seg(app.slug)}/logs?tail=${tail}&follow=1`;

  const dropPending = () => {
    clearTimeout(flushTimer.current);
    flushTimer.current = undefined;
    pending.current = [];
  };
  useEffect(() => dropPending, []);
  /** A new stream (other tail, reconnect) replays its tail: the view starts from empty. */
  const restart = (nextTail: number) => {
    dropPending();
    setBuffer(EMPTY_LOG_BUFFER);
    setFrozen(null);
    if (nextTail === tail) setGeneration((g) => g + 1);
    else setTail(nextTail);
  };

  const onLog = useCallback((data: unknown) => {
    const entry = toLogEntry(data);
    if (!entry) return;
    pending.current.push(entry);
    if (flushTimer.current !== undefined) return;
    flushTimer.current = setTimeout(() => {
      flushTimer.current = undefined;
      const batch = pending.current;
      pending.current = [];
      setBuffer((b) => appendLogLines(b, batch));
    }, FLUSH_MS);
  }, []);
  const state = useEventSource(path, { log: onLog }, generation);

  const shown = frozen ?? buffer;
  const visible = useMemo(() => filterLogLines(shown.lines, filter), [shown, filter]);

  const box = useRef<HTMLDivElement>(null);
  const following = useRef(true);
  const onScroll = () => {
    const el = box.current;
    if (el) following.current = atBottom(el);
  };
  useLayoutEffect(() => {
    const el = box.current;
    if (el && following.current) el.scrollTop = el.scrollHeight;
  }, [visible]);

  const waiting = linesSince(frozen ?? buffer, buffer);
  return (
    <section aria-labelledby="logs-heading">
      <h2 id="logs-heading">Logs</h2>
      <div className="row log-controls">
        <SelectField
          label="Last lines"
          value={tail}
          options={TAIL_CHOICES.map((n) => ({ value: n, label: String(n) }))}
          onChange={restart}
        />
        <div className="field log-filter">
          <label htmlFor="log-filter">Filter</label>
          <input
            id="log-filter"
            type="search"
            value={filter}
            placeholder="Text to look for"
            onChange={(e) => setFilter(e.target.value)}
          />
        </div>
        <div className="field">
          {frozen ? (
            <Button variant="primary" onClick={() => setFrozen(null)}>
              Resume
            </Button>
          ) : (
            <Button onClick={() => setFrozen(buffer)}>Pause</Button>
          )}
        </div>
      </div>

      <p className="log-status muted">
        <span role="status">
          {state === "open" && (frozen ? "Paused" : "Live")}
          {state === "connecting" && "Connecting…"}
        </span>
        {" · "}
        {filter.trim() ? `${visible.length} of ${shown.lines.length} lines` : `${shown.lines.length} lines`}
        {frozen && waiting > 0 && ` · ${waiting} new ${waiting === 1 ? "line" : "lines"} since paused`}
      </p>
      {state === "error" && (
        <Notice kind="error">
          Disconnected: the log stream stopped. <Button onClick={() => restart(tail)}>Reconnect</Button>
        </Notice>
      )}
      {state === "ended" && <Notice kind="info">The log stream ended.</Notice>}
      {shown.dropped > 0 && (
        <Notice kind="info">
          Showing the newest {LOG_BUFFER_CAP} lines: {shown.dropped} older{" "}
          {shown.dropped === 1 ? "line was" : "lines were"} dropped.
        </Notice>
      )}

      {shown.lines.length === 0 && state !== "connecting" ? (
        <EmptyState title="No log lines yet">
          Lines your app writes to stdout or stderr appear here as they are written.
          {app.status !== "running" && " The app is not running: deploy or start it."}
        </EmptyState>
      ) : (
        <div
          ref={box}
          className="log log-view"
          role="log"
          aria-live="off"
          aria-label="Runtime log"
          tabIndex={0}
          onScroll={onScroll}
        >
          {visible.map((l) => (
            <LogLine key={l.id} entry={l} />
          ))}
          {visible.length === 0 && <div className="muted">No line matches the filter.</div>}
        </div>
      )}
    </section>
  );
}
