import { randomBytes } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import path from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installErrorHandler } from "../../src/api/http-errors.js";
import type { AppRow } from "../../src/db/apps.js";
import type { UserApiDeps } from "../../src/web/deps.js";
import { deploymentRoutes } from "../../src/web/routes/deployment-routes.js";
import { SessionAuth } from "../../src/web/session-auth.js";
import { registerUserApi } from "../../src/web/user-api.js";
import type { ApiClient } from "../helpers/api-client.js";
import { signUp } from "../helpers/api-client.js";
import { startTestControlPlane, type TestControlPlane } from "../helpers/control-plane.js";
import { makeApp } from "../helpers/db-fixtures.js";
import { pieces, rawPost, readEvents } from "../helpers/raw-http.js";
import { tarGzOf, validContext } from "../helpers/tar-fixtures.js";

let cp: TestControlPlane;
let alice: ApiClient;
let bob: ApiClient;
let aliceId: number;
let artifactsDir: string;

beforeAll(async () => {
  cp = await startTestControlPlane({}, { WISEHOSTING_AUTH_OPEN_SIGNUP: "true" });
  artifactsDir = path.join(cp.config.data_dir, "artifacts");
  alice = await signUp(cp.url, "alice@example.com");
  bob = await signUp(cp.url, "bob@example.com");
  aliceId = (await alice.get("/me")).body.user.id as number;
});
afterAll(() => cp.stop());

const db = () => cp.t.db.kysely;

function newApp(overrides: Partial<AppRow> = {}): Promise<AppRow> {
  return makeApp(db(), aliceId, { env_enc: "sealed-env", cpu_millicores: 300, memory_mb: 384, ...overrides });
}

async function artifacts(): Promise<string[]> {
  return readdir(artifactsDir).catch(() => []);
}

async function rowsOf(appId: number) {
  const deployments = await db().selectFrom("deployments").selectAll().where("app_id", "=", appId).execute();
  const jobs = await db().selectFrom("jobs").selectAll().where("app_id", "=", appId).execute();
  return { deployments, jobs };
}

function upload(client: ApiClient, slug: string, body: Buffer, query = "") {
  return client.request("POST", `/apps/${slug}/deployments${query}`, body, {
    "content-type": "application/gzip",
  });
}

describe("POST /apps/:slug/deployments", () => {
  it("deploys an image: a pending deployment with the app's env and resources, a deploy job", async () => {
    const app = await newApp();
    const r = await alice.post(`/apps/${app.slug}/deployments`, {
      image: "ghcr.io/acme/web:1.2.3",
      commit_sha: "ABCDEF12",
      commit_message: "fix\u001b[31m it\u0007\nsecond line",
    });
    expect(r.status).toBe(202);
    expect(r.body.deployment).toMatchObject({
      app: app.slug,
      status: "pending",
      source_kind: "image",
      image: "ghcr.io/acme/web:1.2.3",
      commit_sha: "abcdef12",
      commit_message: "fix it\nsecond line",
      worker: null,
    });
    const { deployments, jobs } = await rowsOf(app.id);
    expect(deployments).toHaveLength(1);
    expect(deployments[0]).toMatchObject({ env_enc: "sealed-env", cpu_millicores: 300, memory_mb: 384 });
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ type: "deploy", status: "pending", deployment_id: r.body.deployment.id });
    const after = await db().selectFrom("apps").select("status").where("id", "=", app.id).executeTakeFirst();
    expect(after?.status).toBe("deploying");

    const list = await alice.get(`/apps/${app.slug}/deployments`);
    expect(list.body.deployments.map((d: { id: number }) => d.id)).toEqual([r.body.deployment.id]);
    const one = await alice.get(`/deployments/${r.body.deployment.id}`);
    expect(one.body).toMatchObject({ deployment: { id: r.body.deployment.id }, build_log: "" });
  });

  it("refuses bad image references, commit ids and commit messages, naming the field", async () => {
    const app = await newApp();
    const bad = [
      { image: "-rm" },
      { image: "Upper/Case" },
      { image: "nginx;rm -rf /" },
      { image: `a/${"b".repeat(260)}` },
      { image: "localhost/wisehosting/other:d1" },
      { image: "wisehosting/other:d1" },
      { image: "nginx", commit_sha: "xyz" },
      { image: "nginx", commit_message: "m".repeat(1001) },
    ];
    for (const body of bad) {
      const r = await alice.post(`/apps/${app.slug}/deployments`, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      const field = Object.keys(body).at(-1)!;
      expect(r.body.error.message, JSON.stringify(body)).toContain(field);
    }
    expect((await rowsOf(app.id)).deployments).toEqual([]);
    const ok = await alice.post(`/apps/${app.slug}/deployments`, {
      image: `registry.example.com:5000/team/app:v1@sha256:${"a".repeat(64)}`,
    });
    expect(ok.status).toBe(202);
  });

  it("deploys an uploaded build context: stored under its id, image named after the deployment", async () => {
    const app = await newApp();
    const archive = await validContext();
    const r = await upload(alice, app.slug, archive, "?commit_sha=beef&commit_message=hello");
    expect(r.status).toBe(202);
    const id = r.body.deployment.id as number;
    expect(r.body.deployment).toMatchObject({
      source_kind: "archive",
      image: `localhost/wisehosting/${app.slug}:d${id}`,
      commit_sha: "beef",
      commit_message: "hello",
    });
    const { deployments, jobs } = await rowsOf(app.id);
    expect(deployments[0]?.archive_path).toBe(path.join(artifactsDir, `${id}.tar.gz`));
    expect(await readFile(deployments[0]!.archive_path!)).toEqual(archive);
    expect(jobs.map((j) => j.type)).toEqual(["deploy"]);
    expect(await artifacts()).toEqual([`${id}.tar.gz`]);
  });

  it("refuses malformed gzip, a missing Containerfile and path traversal: 400, no rows, no files", async () => {
    const app = await newApp();
    const before = await artifacts();
    const cases: [Buffer, string][] = [
      [randomBytes(3000), "not gzip"],
      [await tarGzOf([{ name: "README", content: "hi" }]), "no Containerfile or Dockerfile"],
      [
        await validContext([{ name: "../escape", content: "x" }]),
        "entry ../escape escapes the build context",
      ],
      [await validContext([{ name: "l", type: "symlink", linkname: "../../etc" }]), "outside"],
    ];
    for (const [body, message] of cases) {
      const r = await upload(alice, app.slug, body);
      expect(r.status, message).toBe(400);
      expect(r.body.error).toMatchObject({ code: "invalid_archive" });
      expect(r.body.error.message).toContain(message);
    }
    expect(await rowsOf(app.id)).toEqual({ deployments: [], jobs: [] });
    expect(await artifacts()).toEqual(before);
  });

  it("refuses a body declared larger than 200 MiB at once with 413", async () => {
    const app = await newApp();
    const before = await artifacts();
    const r = await rawPost(
      `${cp.url}/api/v1/apps/${app.slug}/deployments`,
      {
        cookie: alice.cookie!,
        origin: cp.url,
        "content-type": "application/gzip",
        "content-length": String(300 * 1024 * 1024),
      },
      [randomBytes(1024)],
    );
    expect(r.status).toBe(413);
    expect(r.body.error.code).toBe("payload_too_large");
    expect(r.headers.connection).toBe("close");
    expect(await rowsOf(app.id)).toEqual({ deployments: [], jobs: [] });
    expect(await artifacts()).toEqual(before);
  });

  it("leaves no file when the client goes away mid-upload", async () => {
    const app = await newApp();
    const before = await artifacts();
    const body = await validContext([{ name: "blob", content: randomBytes(256 * 1024) }]);
    await rawPost(
      `${cp.url}/api/v1/apps/${app.slug}/deployments`,
      { cookie: alice.cookie!, origin: cp.url, "content-type": "application/gzip" },
      pieces(body),
      {
        abort: true,
        // The upload has begun when its temporary file exists.
        onFirstChunk: () => expect.poll(artifacts, { timeout: 10_000 }).toHaveLength(before.length + 1),
      },
    );
    await expect.poll(artifacts, { timeout: 10_000 }).toEqual(before);
    expect(await rowsOf(app.id)).toEqual({ deployments: [], jobs: [] });
  });

  it("refuses to deploy an app being deleted (409) and another user's app (404)", async () => {
    const deleting = await newApp({ status: "deleting" });
    const r = await alice.post(`/apps/${deleting.slug}/deployments`, { image: "nginx" });
    expect(r.status).toBe(409);
    const mine = await newApp();
    const theirs = await bob.post(`/apps/${mine.slug}/deployments`, { image: "nginx" });
    expect(theirs.status).toBe(404);
    expect((await upload(bob, mine.slug, await validContext())).status).toBe(404);
    expect(await rowsOf(mine.id)).toEqual({ deployments: [], jobs: [] });
  });
});

describe("archive size limit, streamed (a server with a 32 KiB limit)", () => {
  let small: FastifyInstance;
  let url: string;
  beforeAll(async () => {
    small = Fastify();
    installErrorHandler(small);
    const sessions = new SessionAuth({ db: db(), now: () => new Date(), secureCookies: false });
    const deps = { db: db(), artifactsDir, now: () => new Date(), sessions } as unknown as UserApiDeps;
    registerUserApi(small, deploymentRoutes(deps, { maxArchiveBytes: 32 * 1024 }), {
      sessions,
      trustedOrigins: [],
      version: "test",
    });
    await small.listen({ host: "127.0.0.1", port: 0 });
    url = `http://127.0.0.1:${(small.server.address() as AddressInfo).port}`;
  });
  afterAll(() => small.close());

  it("answers 413 once the upload passes the limit, leaving no rows and no files", async () => {
    const app = await newApp();
    const before = await artifacts();
    const body = await validContext([{ name: "blob", content: randomBytes(512 * 1024) }]);
    const r = await rawPost(
      `${url}/api/v1/apps/${app.slug}/deployments`,
      { cookie: alice.cookie!, origin: url, "content-type": "application/x-gzip" },
      pieces(body),
    );
    expect(r.status).toBe(413);
    expect(r.body.error.code).toBe("payload_too_large");
    expect(await rowsOf(app.id)).toEqual({ deployments: [], jobs: [] });
    expect(await artifacts()).toEqual(before);
  });
});

describe("build log", () => {
  async function deployment(): Promise<number> {
    const app = await newApp();
    const r = await alice.post(`/apps/${app.slug}/deployments`, { image: "nginx" });
    return r.body.deployment.id as number;
  }

  function openLog(client: ApiClient, id: number, follow: boolean) {
    return fetch(`${cp.url}/api/v1/deployments/${id}/log${follow ? "?follow=1" : ""}`, {
      headers: { cookie: client.cookie! },
    });
  }

  async function append(id: number, text: string) {
    await db()
      .updateTable("deployments")
      .set({ build_logs: sql`build_logs || ${text}` })
      .where("id", "=", id)
      .execute();
  }

  it("follows the log as it grows and ends when the deployment is running", async () => {
    const id = await deployment();
    await append(id, "step 1\n");
    const res = await openLog(alice, id, true);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    // Each step is taken once the stream has delivered the previous one.
    const steps: (() => Promise<unknown>)[] = [
      () => append(id, "step 2\n"),
      () => db().updateTable("deployments").set({ status: "running" }).where("id", "=", id).execute(),
    ];
    const expected = ["step 1\n", "step 1\nstep 2\n"];
    const events = await readEvents(res, (seen) => {
      const text = seen.map((e) => (e.event === "log" ? e.data.text : "")).join("");
      if (steps.length > 0 && text === expected[2 - steps.length]) void steps.shift()!();
      return seen.some((e) => e.event === "end");
    });
    expect(
      events
        .filter((e) => e.event === "log")
        .map((e) => e.data.text as string)
        .join(""),
    ).toBe("step 1\nstep 2\n");
    expect(events.at(-1)).toEqual({ event: "end", data: { status: "running", error: null } });
  });

  it("without follow, sends what is stored and ends", async () => {
    const id = await deployment();
    await append(id, "only this\n");
    const events = await readEvents(await openLog(alice, id, false), () => false);
    expect(events).toEqual([
      { event: "log", data: { text: "only this\n" } },
      { event: "end", data: { status: "pending", error: null } },
    ]);
  });

  it("is 404 for another user's deployment", async () => {
    const id = await deployment();
    expect((await bob.get(`/deployments/${id}`)).status).toBe(404);
    expect((await openLog(bob, id, false)).status).toBe(404);
    expect((await alice.get(`/deployments/${id}`)).status).toBe(200);
  });
});
