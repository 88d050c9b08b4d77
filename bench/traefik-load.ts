import http from "node:http";
import { parentPort, workerData } from "node:worker_threads";

/**
 * Load generator of the traefik benchmark, run in a worker thread so that
 * the client's parsing does not share the server's event loop:
 * `concurrency` keep-alive loops of GET `path` for `seconds`. Every response
 * must be a 200; posts {requests, bytes, seconds} or {error}.
 */

export interface LoadJob {
  port: number;
  path: string;
  authorization: string;
  seconds: number;
  concurrency: number;
}

export type LoadResult = { requests: number; bytes: number; seconds: number } | { error: string };

async function run(job: LoadJob): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: job.concurrency });
  const headers = { authorization: job.authorization };
  const once = () =>
    new Promise<number>((resolve, reject) => {
      const req = http.get({ host: "127.0.0.1", port: job.port, path: job.path, agent, headers }, (res) => {
        let bytes = 0;
        res.on("data", (chunk: Buffer) => {
          bytes += chunk.length;
        });
        res.on("end", () =>
          res.statusCode === 200
            ? resolve(bytes)
            : reject(new Error(`${job.path}: status ${res.statusCode}`)),
        );
        res.on("error", reject);
      });
      req.on("error", reject);
    });
  try {
    await once();
    let requests = 0;
    let bytes = 0;
    const t0 = performance.now();
    const until = t0 + job.seconds * 1000;
    const lane = async (): Promise<void> => {
      while (performance.now() < until) {
        const n = await once();
        bytes += n;
        requests += 1;
      }
    };
    await Promise.all(Array.from({ length: job.concurrency }, lane));
    return { requests, bytes, seconds: (performance.now() - t0) / 1000 };
  } finally {
    agent.destroy();
  }
}

if (parentPort) {
  const port = parentPort;
  run(workerData as LoadJob).then(
    (result) => port.postMessage(result),
    (err: unknown) => port.postMessage({ error: String(err) }),
  );
}
