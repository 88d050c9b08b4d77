/** Deployment statuses after which its build log no longer grows (src/web/build-log-stream.ts). */
const FINAL = new Set(["running", "failed", "superseded", "stopped"]);

export function isDeploymentFinal(status: string): boolean {
  return FINAL.has(status);
}

/**
 * Whether a scrolled box is at (or within `slack` pixels of) its bottom: a
 * log keeps following new text only while the reader has not scrolled up.
 */
export function atBottom(box: { scrollTop: number; clientHeight: number; scrollHeight: number }, slack = 8) {
  return box.scrollTop + box.clientHeight >= box.scrollHeight - slack;
}
