const TONE: Record<string, "ok" | "warn" | "bad" | undefined> = {
  running: "ok",
  succeeded: "ok",
  online: "ok",
  resolved: "ok",
  delivered: "ok",
  deploying: "warn",
  building: "warn",
  pending: "warn",
  queued: "warn",
  assigned: "warn",
  processing: "warn",
  starting: "warn",
  draining: "warn",
  retrying: "warn",
  stopped: undefined,
  failed: "bad",
  crashed: "bad",
  crashloop: "bad",
  offline: "bad",
  firing: "bad",
  active: "bad",
};

/** A status word with its colour (green, amber, red, neutral); the word itself carries the meaning. */
export function StatusBadge({ status }: { status: string }) {
  const tone = TONE[status];
  return <span className={tone ? `badge badge-${tone}` : "badge"}>{status}</span>;
}
