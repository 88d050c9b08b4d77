import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { WorkerJwt } from "../src/api/worker-jwt.js";
import { generateApiKey, hashApiKey } from "../src/crypto/api-key.js";
import { deriveKey, PURPOSE_WORKER_JWT } from "../src/crypto/hkdf.js";
import { startTestControlPlane, TEST_SECRET, type TestControlPlane } from "./helpers/control-plane.js";

let cp: TestControlPlane;
beforeAll(async () => {
  cp = await startTestControlPlane();
});
afterAll(() => cp.stop());

let seq = 0;
const workerName = () => `w-${process.pid}-${++seq}`;

async function post(path: string, bearer: string | undefined, body: unknown) {
  const res = await fetch(`${cp.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

function registration(name = workerName(), apiKey = generateApiKey()) {
  return {
    name,
    api_key: apiKey,
    zone: "eu-central",
    wireguard_ip: "10.8.0.2",
    cpu_millicores: 4000,
    memory_mb: 8192,
  };
}

async function joinToken(ttlS = 3600): Promise<string> {
  const r = await post("/v1/workers/join-tokens", TEST_SECRET, { ttl_s: ttlS });
  expect(r.status).toBe(200);
  return r.body.token as string;
}

/** Status of a WebSocket upgrade attempt with this bearer. */
function upgradeStatus(bearer: string | undefined): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${cp.url.replace("http", "ws")}/v1/workers/ws`, {
      headers: bearer ? { authorization: `Bearer ${bearer}` } : {},
    });
    ws.on("unexpected-response", (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on("open", () => {
      resolve(101);
      ws.close();
    });
    ws.on("error", () => undefined);
  });
}

describe("POST /v1/workers/register", () => {
  it("registers with the master secret and answers the spec's shape without key material", async () => {
    const req = registration();
    const r = await post("/v1/workers/register", TEST_SECRET, req);
    expect(r.status).toBe(200);
    const worker = r.body.worker as Record<string, unknown>;
    expect(worker).toMatchObject({
      name: req.name,
      zone: "eu-central",
      status: "offline",
      wireguard_ip: "10.8.0.2",
      cpu_millicores: 4000,
      memory_mb: 8192,
      used_cpu_millicores: 0,
      used_memory_mb: 0,
      last_heartbeat: null,
    });
    expect(typeof worker.id).toBe("number");
    expect(r.body.token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(Date.parse(r.body.token_expires_at as string) - Date.now()).toBeGreaterThan(14 * 60_000);
    const text = JSON.stringify(r.body);
    expect(text).not.toContain(req.api_key);
    expect(text).not.toContain(hashApiKey(req.api_key));
  });

  it("re-registering a name with the master secret rotates the key and keeps id and used capacity", async () => {
    const req = registration();
    const first = await post("/v1/workers/register", TEST_SECRET, req);
    const id = (first.body.worker as { id: number }).id;
    await cp.t.db.kysely
      .updateTable("workers")
      .set({ used_cpu_millicores: 500 })
      .where("id", "=", id)
      .execute();
    const second = await post("/v1/workers/register", TEST_SECRET, {
      ...req,
      api_key: generateApiKey(),
      cpu_millicores: 6000,
    });
    expect(second.status).toBe(200);
    expect(second.body.worker).toMatchObject({ id, cpu_millicores: 6000, used_cpu_millicores: 500 });
    // The JWT minted for the old key is dead; the new one works.
    expect(await upgradeStatus(first.body.token as string)).toBe(401);
    expect(await upgradeStatus(second.body.token as string)).toBe(101);
    // The old raw API key no longer authenticates either.
    expect(await upgradeStatus(req.api_key)).toBe(401);
  });

  it("a join token works once, only for a new name, and not after expiry", async () => {
    const token = await joinToken();
    const req = registration();
    expect((await post("/v1/workers/register", token, req)).status).toBe(200);
    expect((await post("/v1/workers/register", token, registration())).status).toBe(401);

    const other = await joinToken();
    const taken = await post("/v1/workers/register", other, { ...req, api_key: generateApiKey() });
    expect(taken.status).toBe(409);
    expect(taken.body).toMatchObject({ error: { code: "name_taken" } });
    // The refused registration did not consume the token.
    expect((await post("/v1/workers/register", other, registration())).status).toBe(200);

    const expiring = await joinToken(60);
    await cp.t.db.kysely
      .updateTable("join_tokens")
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where("used_at", "is", null)
      .execute();
    expect((await post("/v1/workers/register", expiring, registration())).status).toBe(401);
  });

  it.each([
    [{ name: "Bad_Name" }, "name"],
    [{ name: "-leading" }, "name"],
    [{ api_key: "ABC" }, "api_key"],
    [{ api_key: "A".repeat(64) }, "api_key"],
    [{ zone: "EU" }, "zone"],
    [{ wireguard_ip: "10.8.0.300" }, "wireguard_ip"],
    [{ cpu_millicores: 0 }, "cpu_millicores"],
    [{ memory_mb: 1.5 }, "memory_mb"],
  ])("400 invalid_request naming the field for %j", async (patch, field) => {
    const r = await post("/v1/workers/register", TEST_SECRET, { ...registration(), ...patch });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: { code: "invalid_request" } });
    expect((r.body.error as { message: string }).message.startsWith(`${field}:`)).toBe(true);
  });

  it("ignores unknown fields, refuses a bad bearer with 401 and a body over 64 KiB with 413", async () => {
    expect((await post("/v1/workers/register", TEST_SECRET, { ...registration(), extra: true })).status).toBe(
      200,
    );
    const bad = await post("/v1/workers/register", "nope", registration());
    expect(bad).toEqual({
      status: 401,
      body: { error: { code: "unauthorized", message: expect.any(String) as string } },
    });
    expect((await post("/v1/workers/register", undefined, registration())).status).toBe(401);
    const big = await post("/v1/workers/register", TEST_SECRET, {
      ...registration(),
      pad: "x".repeat(70_000),
    });
    expect(big.status).toBe(413);
  });
});

describe("POST /v1/workers/refresh-token and GET /v1/stats", () => {
  it("refreshes with the raw API key only", async () => {
    const req = registration();
    const reg = await post("/v1/workers/register", TEST_SECRET, req);
    const r = await post("/v1/workers/refresh-token", req.api_key, {});
    expect(r.status).toBe(200);
    expect(Object.keys(r.body).sort()).toEqual(["token", "token_expires_at"]);
    expect(await upgradeStatus(r.body.token as string)).toBe(101);
    expect((await post("/v1/workers/refresh-token", generateApiKey(), {})).status).toBe(401);
    expect((await post("/v1/workers/refresh-token", reg.body.token as string, {})).status).toBe(401);
  });

  it("reports fleet totals to the master secret only", async () => {
    const res = await fetch(`${cp.url}/v1/stats`, { headers: { authorization: `Bearer ${TEST_SECRET}` } });
    expect(res.status).toBe(200);
    const stats = (await res.json()) as Record<string, number>;
    const rows = await cp.t.db.kysely.selectFrom("workers").selectAll().execute();
    expect(stats).toEqual({
      workers_total: rows.length,
      workers_online: rows.filter((w) => w.status === "online").length,
      workers_offline: rows.filter((w) => w.status === "offline").length,
      cpu_millicores_total: rows.reduce((a, w) => a + w.cpu_millicores, 0),
      cpu_millicores_used: rows.reduce((a, w) => a + w.used_cpu_millicores, 0),
      memory_mb_total: rows.reduce((a, w) => a + w.memory_mb, 0),
      memory_mb_used: rows.reduce((a, w) => a + w.used_memory_mb, 0),
    });
    expect((await fetch(`${cp.url}/v1/stats`)).status).toBe(401);
  });
});

describe("GET /v1/workers/ws authentication happens before the upgrade", () => {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const forge = (header: object, claims: object, key: Buffer | string) => {
    const head = `${b64(header)}.${b64(claims)}`;
    return `${head}.${createHmac(
      header && "alg" in header && header.alg === "HS512" ? "sha512" : "sha256",
      key,
    )
      .update(head)
      .digest("base64url")}`;
  };

  it("rejects missing, malformed, expired, foreign, alg:none, HS512, unknown-worker and rotated tokens with 401", async () => {
    const req = registration();
    const reg = await post("/v1/workers/register", TEST_SECRET, req);
    const id = (reg.body.worker as { id: number }).id;
    const keyHash = hashApiKey(req.api_key);
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: String(id), key_hash: keyHash, iat: now, exp: now + 900, jti: "abcdefghijklmnop" };

    expect(await upgradeStatus(reg.body.token as string)).toBe(101);
    expect(await upgradeStatus(req.api_key)).toBe(101);
    expect(await upgradeStatus(undefined)).toBe(401);
    expect(await upgradeStatus("garbage")).toBe(401);

    const expired = await new WorkerJwt({
      masterSecret: TEST_SECRET,
      now: () => Date.now() - 16 * 60_000,
    }).sign(id, keyHash);
    expect(await upgradeStatus(expired.token)).toBe(401);
    const wrongKey = await new WorkerJwt({ masterSecret: "another-master-secret-0123456789abc" }).sign(
      id,
      keyHash,
    );
    expect(await upgradeStatus(wrongKey.token)).toBe(401);
    expect(await upgradeStatus(`${b64({ alg: "none", typ: "JWT" })}.${b64(claims)}.`)).toBe(401);
    // Signed with the right key, but HS512: still refused.
    expect(
      await upgradeStatus(
        forge({ alg: "HS512", typ: "JWT" }, claims, deriveKey(TEST_SECRET, PURPOSE_WORKER_JWT)),
      ),
    ).toBe(401);
    expect(
      await upgradeStatus(
        forge({ alg: "HS256", typ: "JWT" }, claims, deriveKey(TEST_SECRET, PURPOSE_WORKER_JWT)),
      ),
    ).toBe(101);
    const unknown = await new WorkerJwt({ masterSecret: TEST_SECRET }).sign(999_999, keyHash);
    expect(await upgradeStatus(unknown.token)).toBe(401);

    const before = await new WorkerJwt({ masterSecret: TEST_SECRET }).sign(id, keyHash);
    await post("/v1/workers/register", TEST_SECRET, { ...req, api_key: generateApiKey() });
    expect(await upgradeStatus(before.token)).toBe(401);
  });
});

describe("GET /v1/workers/artifacts/{deployment_id}", () => {
  it("streams the build context only to the worker whose deploy job holds it", async () => {
    const { writeFile, mkdtemp } = await import("node:fs/promises");
    const { tmpdir } = await import("node:os");
    const path = await import("node:path");
    const { assignedDeploy } = await import("./helpers/hub-fixtures.js");
    const owner = registration();
    const other = registration();
    const o = await post("/v1/workers/register", TEST_SECRET, owner);
    await post("/v1/workers/register", TEST_SECRET, other);
    const d = await assignedDeploy(cp.t.db.kysely, (o.body.worker as { id: number }).id);
    const file = path.join(await mkdtemp(path.join(tmpdir(), "wh-art-")), "ctx.tar.gz");
    await writeFile(file, Buffer.from([0x1f, 0x8b, 1, 2, 3]));
    await cp.t.db.kysely
      .updateTable("deployments")
      .set({ source_kind: "archive", archive_path: file })
      .where("id", "=", d.deploymentId)
      .execute();
    const get = (bearer: string | undefined, id: number | string = d.deploymentId) =>
      fetch(`${cp.url}/v1/workers/artifacts/${id}`, {
        headers: bearer ? { authorization: `Bearer ${bearer}` } : {},
      });
    const ok = await get(owner.api_key);
    expect(ok.status).toBe(200);
    expect(ok.headers.get("content-type")).toBe("application/gzip");
    expect([...new Uint8Array(await ok.arrayBuffer())]).toEqual([0x1f, 0x8b, 1, 2, 3]);
    expect((await get(o.body.token as string)).status).toBe(200);
    expect((await get(other.api_key)).status).toBe(404);
    expect((await get(owner.api_key, 999_999)).status).toBe(404);
    expect((await get(owner.api_key, "../etc")).status).toBe(404);
    expect((await get(undefined)).status).toBe(401);
    await cp.t.db.kysely.updateTable("jobs").set({ status: "completed" }).where("id", "=", d.jobId).execute();
    expect((await get(owner.api_key)).status).toBe(404);
  });
});
