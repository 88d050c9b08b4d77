import http from "node:http";

/**
 * Resolves true when an HTTP GET to `http://host:port/` gets any HTTP
 * response (any status) within `timeoutMs`, false otherwise. Never rejects.
 */
export function httpAnswers(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path: "/", timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(false));
  });
}

export type PortProbe = (host: string, port: number, timeoutMs: number) => Promise<boolean>;

/**
 * Probes until the port answers or `deadlineMs` has passed (by `now`),
 * pausing `intervalMs` between tries; `cancelled` ends it early (false).
 */
export async function waitForHttp(o: {
  host: string;
  port: number;
  deadlineMs: number;
  probe?: PortProbe;
  now?: () => number;
  intervalMs?: number;
  sleep: (ms: number) => Promise<void>;
  cancelled?: () => boolean;
}): Promise<boolean> {
  const now = o.now ?? Date.now;
  const end = now() + o.deadlineMs;
  const probe = o.probe ?? httpAnswers;
  for (;;) {
    if (o.cancelled?.()) return false;
    const left = end - now();
    if (await probe(o.host, o.port, Math.max(100, Math.min(2_000, left)))) return true;
    if (end - now() <= 0 || o.cancelled?.()) return false;
    await o.sleep(Math.min(o.intervalMs ?? 250, Math.max(0, end - now())));
  }
}
