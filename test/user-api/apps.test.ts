import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appEnvAad } from "../../src/api/job-message.js";
import { findAppBySlug } from "../../src/db/apps.js";
import { insertDeployment } from "../../src/db/deployments.js";
import { signUp, type ApiClient } from "../helpers/api-client.js";
import { startTestControlPlane, type TestControlPlane } from "../helpers/control-plane.js";
import { makeWorker, unique } from "../helpers/db-fixtures.js";

let cp: TestControlPlane;
beforeAll(async () => {
  cp = await startTestControlPlane({}, { WISEHOSTING_AUTH_OPEN_SIGNUP: "true" });
  await signUp(cp.url, "admin@example.com"); // the first account is the admin; the rest are plain users
});
afterAll(() => cp.stop());

const db = () => cp.t.db.kysely;
const user = (): Promise<ApiClient> => signUp(cp.url, `${unique("u")}@example.com`);
const SECRET = "s3cr3t-value-that-must-never-come-back";

/** Makes the app look placed: running on a worker with a reserved current deployment. */
async function place(slug: string, status: "running" | "crashed" | "stopped" = "running") {
  const app = (await findAppBySlug(db(), slug))!;
  const w = await makeWorker(db());
  const d = await insertDeployment(db(), {
    app_id: app.id,
    source_kind: "image",
    image: "docker.io/library/nginx:1.27",
    commit_sha: "abc123",
    env_enc: app.env_enc,
    cpu_millicores: app.cpu_millicores,
    memory_mb: app.memory_mb,
    worker_id: w.id,
    host_port: 20000 + (w.id % 9000),
    reserved: true,
    status: "running",
  });
  await db()
    .updateTable("apps")
    .set({ status, worker_id: w.id, current_deployment_id: d.id })
    .where("id", "=", app.id)
    .execute();
  return { app, worker: w, deployment: d };
}

const jobsOf = (appId: number) =>
  db().selectFrom("jobs").selectAll().where("app_id", "=", appId).orderBy("id").execute();

describe("create, read, list, change", () => {
  it("creates with defaults and a slug made from the name; env values never come back", async () => {
    const c = await user();
    const r = await c.post("/apps", { name: "My Cool App!!", env: { API_KEY: SECRET, PORT: "3000" } });
    expect(r.status).toBe(201);
    expect(r.body.app).toMatchObject({
      name: "My Cool App!!",
      slug: "my-cool-app",
      status: "created",
      url: `https://my-cool-app.${cp.config.proxy.base_domain}`,
      cpu_millicores: 250,
      memory_mb: 256,
      zone: null,
      worker: null,
      current_deployment_id: null,
      env_names: ["API_KEY", "PORT"],
    });
    expect(Date.parse(r.body.app.created_at)).not.toBeNaN();

    const one = await c.request("GET", "/apps/my-cool-app");
    const list = await c.get("/apps");
    expect(list.body.apps.map((a: { slug: string }) => a.slug)).toEqual(["my-cool-app"]);
    expect(one.body.app.env_names).toEqual(["API_KEY", "PORT"]);
    for (const res of [r, one, list]) expect(JSON.stringify(res.body)).not.toContain(SECRET);

    // Stored sealed with the app's AAD.
    const row = (await findAppBySlug(db(), "my-cool-app"))!;
    expect(row.env_enc).not.toContain(SECRET);
    const env = JSON.parse(cp.parts.secretBox.openString(row.env_enc!, appEnvAad(row.id))) as object;
    expect(env).toEqual({ API_KEY: SECRET, PORT: "3000" });
  });

  it("changes name, resources, zone and env (null unsets) without echoing values", async () => {
    const c = await user();
    const slug = unique("patch");
    await c.post("/apps", { name: "p", slug, zone: "eu-1", env: { A: "1", B: "2" } });
    const r = await c.patch(`/apps/${slug}`, {
      name: "renamed",
      cpu_millicores: 500,
      memory_mb: 128,
      zone: null,
      env: { A: null, C: SECRET },
    });
    expect(r.status).toBe(200);
    expect(r.body.app).toMatchObject({
      name: "renamed",
      cpu_millicores: 500,
      memory_mb: 128,
      zone: null,
      env_names: ["B", "C"],
    });
    expect(JSON.stringify(r.body)).not.toContain(SECRET);
    const row = (await findAppBySlug(db(), slug))!;
    expect(JSON.parse(cp.parts.secretBox.openString(row.env_enc!, appEnvAad(row.id)))).toEqual({
      B: "2",
      C: SECRET,
    });
    const cleared = await c.patch(`/apps/${slug}`, { env: { B: null, C: null } });
    expect(cleared.body.app.env_names).toEqual([]);
    expect((await findAppBySlug(db(), slug))!.env_enc).toBeNull();
  });
});

describe("slugs", () => {
  it("says which slug is taken, made from the name or given", async () => {
    const a = await user();
    const b = await user();
    const name = `Taken ${unique("n")}`;
    expect((await a.post("/apps", { name })).status).toBe(201);
    const derived = await b.post("/apps", { name });
    expect(derived.status).toBe(409);
    expect(derived.body.error.code).toBe("slug_taken");
    expect(derived.body.error.message).toMatch(/^slug: .* is taken/);
    const given = await b.post("/apps", { name: "x", slug: derived.body.error.message.split('"')[1] });
    expect(given.status).toBe(409);
    expect(given.body.error.message).toMatch(/^slug: ".*" is taken: choose another slug/);
    expect((await b.get("/apps")).body.apps).toEqual([]);
  });

  it("refuses a name that gives no slug, and trims a long one to 40", async () => {
    const c = await user();
    const r = await c.post("/apps", { name: "!!! ???" });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(/^slug: /);
    const long = `${"x".repeat(39)}-y-${unique("z")}`;
    const ok = await c.post("/apps", { name: long.slice(0, 63) });
    expect(ok.status).toBe(201);
    expect(ok.body.app.slug).toBe("x".repeat(39));
  });
});

describe("validation errors name the field", () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ["bad slug", { name: "a", slug: "-bad-" }, /^slug: /],
    ["upper-case slug", { name: "a", slug: "Bad" }, /^slug: /],
    ["empty name", { name: "" }, /^name: /],
    ["control character in name", { name: "a\u0007b" }, /^name: /],
    ["cpu too small", { name: "a", cpu_millicores: 5 }, /^cpu_millicores: /],
    ["memory too large", { name: "a", memory_mb: 262145 }, /^memory_mb: /],
    ["bad zone", { name: "a", zone: "Bad_Zone" }, /^zone: /],
    ["bad env name", { name: "a", env: { "1BAD": "x" } }, /^env\.1BAD: /],
    ["env name with '='", { name: "a", env: { "A=B": "x" } }, /^env\.A=B: /],
    ["oversized env value", { name: "a", env: { BIG: "x".repeat(32 * 1024 + 1) } }, /^env\.BIG: .*32 KiB/],
    ["env value not a string", { name: "a", env: { N: 1 } }, /^env\.N: /],
    [
      "env over 256 KiB in all",
      {
        name: "a",
        env: Object.fromEntries([...Array(9).keys()].map((i) => [`V${i}`, "x".repeat(30 * 1024)])),
      },
      /^env: .*256 KiB/,
    ],
    ["unknown field (a typo is refused, not ignored)", { name: "a", memory: 512 }, /^memory: /],
  ];
  it.each(cases)("%s", async (_label, body, message) => {
    const c = await user();
    const r = await c.post("/apps", body);
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe("invalid_request");
    expect(r.body.error.message).toMatch(message);
    // `field` is the message's prefix, so a form can put the message beside that input.
    expect(`${r.body.error.field}: `).toBe(/^([^:]+): /.exec(r.body.error.message)?.[0]);
    expect((await c.get("/apps")).body.apps).toEqual([]);
  });

  it("PATCH checks env names and values too, and changes nothing", async () => {
    const c = await user();
    const slug = unique("v");
    await c.post("/apps", { name: "v", slug, env: { KEEP: "1" } });
    const r = await c.patch(`/apps/${slug}`, { name: "changed", env: { "bad-name": "x" } });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(/^env\.bad-name: /);
    const big = await c.patch(`/apps/${slug}`, { env: { KEEP: "x".repeat(40_000) } });
    expect(big.body.error.message).toMatch(/^env\.KEEP: /);
    expect((await c.get(`/apps/${slug}`)).body.app).toMatchObject({ name: "v", env_names: ["KEEP"] });
  });
});

describe("plan limits (free: 3 apps, 1000 millicores, 512 MB)", () => {
  it("counts apps", async () => {
    const c = await user();
    for (let i = 0; i < 3; i++) {
      expect((await c.post("/apps", { name: unique("n"), cpu_millicores: 10, memory_mb: 16 })).status).toBe(
        201,
      );
    }
    const r = await c.post("/apps", { name: unique("n"), cpu_millicores: 10, memory_mb: 16 });
    expect(r.status).toBe(403);
    expect(r.body.error).toMatchObject({ code: "plan_limit", field: "apps" });
    expect(r.body.error.message).toMatch(/^apps: .*free.* 3 apps/);
    expect((await c.get("/apps")).body.apps).toHaveLength(3);
  });

  it("sums CPU and memory, on create and on a raise; lowering always passes", async () => {
    const c = await user();
    const a = unique("a");
    expect((await c.post("/apps", { name: "a", slug: a })).status).toBe(201); // 250 m, 256 MB
    const mem = await c.post("/apps", { name: "b", memory_mb: 257 });
    expect(mem.status).toBe(403);
    expect(mem.body.error.message).toMatch(/^memory_mb: .*512/);
    expect(mem.body.error.field).toBe("memory_mb");
    const cpu = await c.post("/apps", { name: "b", cpu_millicores: 751, memory_mb: 16 });
    expect(cpu.status).toBe(403);
    expect(cpu.body.error.message).toMatch(/^cpu_millicores: .*1000/);
    expect(cpu.body.error.field).toBe("cpu_millicores");
    expect((await c.post("/apps", { name: "b", cpu_millicores: 750, memory_mb: 256 })).status).toBe(201);

    const raise = await c.patch(`/apps/${a}`, { memory_mb: 300 });
    expect(raise.status).toBe(403);
    expect(raise.body.error.message).toMatch(/^memory_mb: /);
    expect((await c.get(`/apps/${a}`)).body.app.memory_mb).toBe(256);
    expect((await c.patch(`/apps/${a}`, { memory_mb: 128, cpu_millicores: 100 })).status).toBe(200);

    // Apps being deleted no longer count.
    await place(a);
    expect((await c.delete(`/apps/${a}`)).body.app.status).toBe("deleting");
    expect((await c.post("/apps", { name: "c", cpu_millicores: 250, memory_mb: 256 })).status).toBe(201);
  });
});

describe("another user's app is a 404 on every route", () => {
  it.each([
    ["GET", ""],
    ["PATCH", ""],
    ["DELETE", ""],
    ["POST", "/restart"],
    ["POST", "/stop"],
    ["POST", "/start"],
    ["GET", "/logs"],
  ])("%s /apps/:slug%s", async (method, suffix) => {
    const owner = await user();
    const other = await user();
    const slug = unique("own");
    await owner.post("/apps", { name: "mine", slug });
    await place(slug);
    const body = method === "PATCH" ? { name: "hijacked" } : method === "POST" ? {} : undefined;
    const r = await other.request(method, `/apps/${slug}${suffix}`, body);
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe("not_found");
    const app = (await findAppBySlug(db(), slug))!;
    expect(app).toMatchObject({ name: "mine", status: "running" });
    expect(await jobsOf(app.id)).toEqual([]);
  });
});

describe("restart, stop, start", () => {
  it("restart and stop enqueue jobs for the app's worker", async () => {
    const c = await user();
    const slug = unique("rs");
    await c.post("/apps", { name: "rs", slug });
    const notPlaced = await c.post(`/apps/${slug}/restart`);
    expect(notPlaced.status).toBe(409);
    expect(notPlaced.body.error.code).toBe("app_not_running");
    expect((await c.post(`/apps/${slug}/stop`)).status).toBe(409);

    const { app, worker } = await place(slug);
    const restart = await c.post(`/apps/${slug}/restart`);
    expect(restart.status).toBe(202);
    const stop = await c.post(`/apps/${slug}/stop`);
    expect(stop.status).toBe(202);
    expect(await jobsOf(app.id)).toMatchObject([
      { id: restart.body.job_id, type: "restart", worker_id: worker.id, status: "pending" },
      { id: stop.body.job_id, type: "stop", worker_id: worker.id, status: "pending" },
    ]);
  });

  it("start makes a new deployment of the current one with the app's env and resources", async () => {
    const c = await user();
    const slug = unique("st");
    await c.post("/apps", { name: "st", slug, env: { OLD: "1" } });
    const { app, deployment } = await place(slug, "running");
    const running = await c.post(`/apps/${slug}/start`);
    expect(running.status).toBe(409);

    await c.patch(`/apps/${slug}`, { env: { PORT: "5000" }, cpu_millicores: 300 });
    await db().updateTable("apps").set({ status: "stopped" }).where("id", "=", app.id).execute();
    const r = await c.post(`/apps/${slug}/start`);
    expect(r.status).toBe(202);
    const job = (await jobsOf(app.id)).find((j) => j.id === r.body.job_id)!;
    expect(job).toMatchObject({ type: "deploy", status: "pending", cpu_millicores: 300, memory_mb: 256 });
    const d = await db()
      .selectFrom("deployments")
      .selectAll()
      .where("id", "=", job.deployment_id!)
      .executeTakeFirstOrThrow();
    expect(d).toMatchObject({
      app_id: app.id,
      status: "pending",
      source_kind: "image",
      image: deployment.image,
      commit_sha: "abc123",
      cpu_millicores: 300,
      internal_port: 5000,
      reserved: false,
    });
    expect(JSON.parse(cp.parts.secretBox.openString(d.env_enc!, appEnvAad(app.id)))).toEqual({
      OLD: "1",
      PORT: "5000",
    });
    // A second start while that deploy is open is refused.
    const again = await c.post(`/apps/${slug}/start`);
    expect(again.status).toBe(409);
    expect(again.body.error.message).toMatch(/in progress/);
  });

  it("start refuses an app that never ran", async () => {
    const c = await user();
    const slug = unique("nr");
    await c.post("/apps", { name: "nr", slug });
    await db().updateTable("apps").set({ status: "failed" }).where("slug", "=", slug).execute();
    const r = await c.post(`/apps/${slug}/start`);
    expect(r.status).toBe(409);
    expect(r.body.error.message).toMatch(/deploy it first/);
  });
});

describe("delete", () => {
  it("deletes a never-placed app at once; its slug is free again", async () => {
    const c = await user();
    const slug = unique("del");
    await c.post("/apps", { name: "d", slug });
    const r = await c.delete(`/apps/${slug}`);
    expect(r.status).toBe(202);
    expect(r.body.app).toMatchObject({ slug, status: "deleted" });
    expect(await findAppBySlug(db(), slug)).toBeUndefined();
    expect((await c.get(`/apps/${slug}`)).status).toBe(404);
    expect((await c.post("/apps", { name: "again", slug })).status).toBe(201);
  });

  it("a placed app goes deleting with a delete job; once deleted its slug can be taken again", async () => {
    const c = await user();
    const slug = unique("delp");
    await c.post("/apps", { name: "d", slug });
    const { app, worker } = await place(slug);
    const r = await c.delete(`/apps/${slug}`);
    expect(r.status).toBe(202);
    expect(r.body.app).toMatchObject({ slug, status: "deleting" });
    expect(await jobsOf(app.id)).toMatchObject([{ type: "delete", worker_id: worker.id, status: "pending" }]);
    expect((await findAppBySlug(db(), slug))!.status).toBe("deleting");
    // Repeating it changes nothing; other actions are refused.
    expect((await c.delete(`/apps/${slug}`)).body.app.status).toBe("deleting");
    expect(await jobsOf(app.id)).toHaveLength(1);
    expect((await c.patch(`/apps/${slug}`, { name: "x" })).status).toBe(409);

    // What job completion does when the worker reports the delete done.
    await db()
      .updateTable("apps")
      .set({ status: "deleted", worker_id: null })
      .where("id", "=", app.id)
      .execute();
    expect((await c.get(`/apps/${slug}`)).status).toBe(404);
    expect((await c.get("/apps")).body.apps).toEqual([]);
    const other = await user();
    const again = await other.post("/apps", { name: "new owner", slug });
    expect(again.status).toBe(201);
    expect(again.body.app.id).not.toBe(app.id);
  });
});

it("the OpenAPI document describes the app routes", async () => {
  const c = await user();
  const doc = await c.get("/openapi.json");
  expect(doc.status).toBe(200);
  const paths = Object.keys(doc.body.paths as object);
  expect(paths).toEqual(
    expect.arrayContaining([
      "/api/v1/apps",
      "/api/v1/apps/{slug}",
      "/api/v1/apps/{slug}/start",
      "/api/v1/apps/{slug}/logs",
    ]),
  );
});
