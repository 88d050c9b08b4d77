import type { KyselyPlugin, RootOperationNode } from "kysely";
import { afterAll, beforeAll, expect, it } from "vitest";
import { WorkerConnection } from "../src/agent/sim/worker-connection.js";
import { SecretBox } from "../src/crypto/aes.js";
import { envelopeKey, generateApiKey, hashApiKey } from "../src/crypto/api-key.js";
import { workerKeyAad } from "../src/api/worker-auth.js";
import { startTestControlPlane, TEST_SECRET, type TestControlPlane } from "./helpers/control-plane.js";

/** Counts the heartbeat batch statements (`UPDATE workers AS w ... FROM unnest(...)`). */
class BatchCounter implements KyselyPlugin {
  count = 0;
  transformQuery(args: { node: RootOperationNode }): RootOperationNode {
    const node = args.node as { kind: string; sqlFragments?: readonly string[] };
    if (node.kind === "RawNode" && node.sqlFragments?.[0]?.includes("UPDATE workers AS w")) this.count++;
    return args.node;
  }
  transformResult<T>(args: { result: T }): Promise<T> {
    return Promise.resolve(args.result);
  }
}

const WORKERS = 500;
const counter = new BatchCounter();
let cp: TestControlPlane;
const conns: WorkerConnection[] = [];
let heartbeatsHandled = 0;

beforeAll(async () => {
  cp = await startTestControlPlane({
    kyselyPlugins: [counter],
    hub: {
      onHandled: (type) => {
        if (type === "heartbeat") heartbeatsHandled++;
      },
    },
  });
  // Rows inserted directly (registration is covered elsewhere): 500 keys, sealed as registration seals them.
  const box = new SecretBox(TEST_SECRET);
  const keys = Array.from({ length: WORKERS }, () => generateApiKey());
  await cp.t.db.kysely
    .insertInto("workers")
    .values(
      keys.map((k, i) => ({
        name: `hb-${i}`,
        api_key_hash: hashApiKey(k),
        envelope_key_enc: box.seal(envelopeKey(k), workerKeyAad(`hb-${i}`)),
        cpu_millicores: 1000,
        memory_mb: 1024,
      })),
    )
    .execute();
  for (let i = 0; i < WORKERS; i += 50) {
    const batch = keys
      .slice(i, i + 50)
      .map((k) => WorkerConnection.connect({ baseUrl: cp.url, token: k, apiKey: k }));
    conns.push(...(await Promise.all(batch)));
  }
}, 120_000);

afterAll(async () => {
  await Promise.all(conns.map((c) => c.terminate()));
  await cp.stop();
});

it("500 workers beating every second cost about one UPDATE a second", async () => {
  const beat = (n: number) => ({
    cpu_pct: 1,
    mem_used_mb: 1,
    mem_total_mb: 2,
    disk_used_mb: 1,
    disk_total_mb: 2,
    running_apps: n,
    agent_version: "1.0.0",
    uptime_s: n,
  });
  const before = counter.count;
  const handledBefore = heartbeatsHandled;
  const started = Date.now();
  for (let round = 1; round <= 3; round++) {
    for (const c of conns) c.send("heartbeat", beat(round));
    await new Promise((r) => setTimeout(r, 1000));
  }
  // Every beat read off its socket and handled (on a busy machine some may still be in flight).
  await expect.poll(() => heartbeatsHandled - handledBefore).toBe(3 * WORKERS);
  await Promise.all(
    conns.map((c) => cp.parts.hub.connection(c.helloPayload.worker_id)?.drain() ?? Promise.resolve()),
  );
  await cp.parts.heartbeats.flush();
  const seconds = (Date.now() - started) / 1000;
  const statements = counter.count - before;
  // 1,500 heartbeats; one batch per flush tick (1 s) plus the final flush.
  expect(statements).toBeGreaterThanOrEqual(2);
  expect(statements).toBeLessThanOrEqual(Math.ceil(seconds) + 2);
  const rows = await cp.t.db.kysely
    .selectFrom("workers")
    .select(["running_apps", "status", "agent_version"])
    .where("name", "like", "hb-%")
    .execute();
  expect(rows).toHaveLength(WORKERS);
  expect(
    rows.every((r) => r.running_apps === 3 && r.status === "online" && r.agent_version === "1.0.0"),
  ).toBe(true);
});
