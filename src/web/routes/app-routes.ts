import { z } from "zod";
import {
  deleteApp,
  findAppBySlug,
  findAppWithWorker,
  insertApp,
  listAppsWithWorkerByUser,
  lockApp,
  lockAppOwner,
  updateApp,
  type AppRow,
} from "../../db/apps.js";
import { ConflictError, InvalidRequestError, NotFoundError } from "../../errors.js";
import { applyEnvPatch, checkEnv, envPatchSchema, envSchema, openEnv, sealEnv } from "../app-env.js";
import type { UserApiDeps } from "../deps.js";
import { findOwnedApp } from "../owned.js";
import { assertWithinPlan } from "../plan-limits.js";
import { defineRoute, type UserRoute } from "../route.js";
import { SLUG_RE, slugParams, slugSchema } from "../schemas.js";
import { appActionRoutes } from "./app-actions.js";
import { appDto, appSchema, assertNotDeleting } from "./app-dto.js";

/** Zones name groups of workers: a DNS-label-like pattern (the database checks it too). */
export const ZONE_RE = /^[a-z0-9][a-z0-9-]{0,62}$/;
const zoneSchema = z
  .string()
  .regex(ZONE_RE, "must be 1-63 characters of a-z, 0-9 and '-', not starting with '-'");
const nameSchema = z
  .string()
  .trim()
  .min(1)
  .max(63)
  .regex(/^[^\p{Cc}]+$/u, "must not contain control characters");
const cpuSchema = z.number().int().min(10).max(64000);
const memorySchema = z.number().int().min(16).max(262144);

// Unknown fields are refused (a misspelt `memory` must not be silently ignored).
const createBody = z.strictObject({
  name: nameSchema,
  slug: slugSchema.optional(),
  cpu_millicores: cpuSchema.default(250),
  memory_mb: memorySchema.default(256),
  zone: zoneSchema.optional(),
  env: envSchema.optional(),
});
const patchBody = z.strictObject({
  name: nameSchema.optional(),
  cpu_millicores: cpuSchema.optional(),
  memory_mb: memorySchema.optional(),
  zone: zoneSchema.nullable().optional(),
  env: envPatchSchema.optional(),
});
const appResponse = z.object({ app: appSchema });

/**
 * The slug a name gives when none is asked for: lowercase, every run of
 * characters outside [a-z0-9] becomes one '-', no '-' at either end, at most
 * 40 characters. Empty when the name has no letter or digit of a-z, 0-9.
 */
export function deriveSlug(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+/, "")
    .slice(0, 40)
    .replace(/-+$/, "");
}

function slugTaken(slug: string, derived: boolean): ConflictError {
  return new ConflictError(
    "slug_taken",
    derived
      ? `slug: "${slug}" (made from the name) is taken: give another slug`
      : `slug: "${slug}" is taken: choose another slug`,
  );
}

function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === "23505";
}

/** Apps: create, list, read, change, and (app-actions.ts) delete, restart, stop, start. */
export function appRoutes(deps: UserApiDeps): UserRoute[] {
  const { db, secretBox } = deps;
  const baseDomain = deps.config.proxy.base_domain;
  const view = async (appId: number) => {
    const row = await findAppWithWorker(db, appId);
    if (!row) throw new NotFoundError(`app ${appId} not found`);
    return { app: appDto(row, baseDomain) };
  };
  return [
    defineRoute({
      method: "GET",
      url: "/apps",
      access: "user",
      summary: "The account's apps",
      tags: ["apps"],
      schema: { response: { 200: z.object({ apps: z.array(appSchema) }) } },
      handler: async ({ principal }) => {
        const rows = await listAppsWithWorkerByUser(db, principal.user.id);
        return { apps: rows.map((r) => appDto(r, baseDomain)) };
      },
    }),
    defineRoute({
      method: "POST",
      url: "/apps",
      access: "user",
      summary: "Create an app (the slug is made from the name unless given); env values are never returned",
      tags: ["apps"],
      status: 201,
      schema: { body: createBody, response: { 201: appResponse } },
      handler: async ({ principal, body }) => {
        const derived = body.slug === undefined;
        const slug = body.slug ?? deriveSlug(body.name);
        if (!SLUG_RE.test(slug)) {
          throw new InvalidRequestError(
            "slug: the name gives no usable slug (a-z, 0-9, '-'): give one",
            "slug",
          );
        }
        const env = body.env ?? {};
        checkEnv(env);
        const now = deps.now();
        let created: AppRow;
        try {
          // One transaction: a refused request (plan, slug, anything) leaves no row behind.
          created = await db.transaction().execute(async (trx) => {
            await assertWithinPlan(trx, principal.user, {
              newApp: true,
              cpu_millicores: body.cpu_millicores,
              memory_mb: body.memory_mb,
            });
            const holder = await findAppBySlug(trx, slug);
            if (holder) {
              // The slug of a deleted app is free again: its row is only a tombstone.
              if (holder.status !== "deleted") throw slugTaken(slug, derived);
              await deleteApp(trx, holder.id);
            }
            const app = await insertApp(trx, {
              user_id: principal.user.id,
              name: body.name,
              slug,
              cpu_millicores: body.cpu_millicores,
              memory_mb: body.memory_mb,
              zone: body.zone ?? null,
              created_at: now,
              updated_at: now,
            });
            // The env is sealed with the app's id as AAD, so it is written once the id exists.
            if (Object.keys(env).length === 0) return app;
            return updateApp(trx, app.id, sealEnv(secretBox, app.id, env), now);
          });
        } catch (err) {
          // Another request took the slug between our check and our insert.
          if (isUniqueViolation(err)) throw slugTaken(slug, derived);
          throw err;
        }
        return view(created.id);
      },
    }),
    defineRoute({
      method: "GET",
      url: "/apps/:slug",
      access: "user",
      summary: "One app",
      tags: ["apps"],
      schema: { params: slugParams, response: { 200: appResponse } },
      handler: async ({ principal, params }) => {
        const app = await findOwnedApp(db, principal.user.id, params.slug);
        return view(app.id);
      },
    }),
    defineRoute({
      method: "PATCH",
      url: "/apps/:slug",
      access: "user",
      summary: "Change an app; env `{NAME: null}` unsets; changes apply to the next deployment",
      tags: ["apps"],
      schema: { params: slugParams, body: patchBody, response: { 200: appResponse } },
      handler: async ({ principal, params, body }) => {
        const owned = await findOwnedApp(db, principal.user.id, params.slug);
        assertNotDeleting(owned);
        const now = deps.now();
        await db.transaction().execute(async (trx) => {
          // Lock order everywhere: the owner's row, then the app's.
          await lockAppOwner(trx, principal.user.id);
          const app = await lockApp(trx, owned.id);
          if (!app) throw new NotFoundError(`app ${params.slug} not found`);
          assertNotDeleting(app);
          // Only a raise is checked: lowering always fits, even after the plan shrank.
          const cpu = body.cpu_millicores;
          const mem = body.memory_mb;
          const raise = {
            newApp: false,
            ...(cpu !== undefined && cpu > app.cpu_millicores ? { cpu_millicores: cpu } : {}),
            ...(mem !== undefined && mem > app.memory_mb ? { memory_mb: mem } : {}),
          };
          if (raise.cpu_millicores !== undefined || raise.memory_mb !== undefined) {
            await assertWithinPlan(trx, principal.user, raise, app.id);
          }
          let envValues = {};
          if (body.env !== undefined) {
            const next = applyEnvPatch(openEnv(secretBox, app.id, app.env_enc), body.env);
            checkEnv(next);
            envValues = sealEnv(secretBox, app.id, next);
          }
          await updateApp(
            trx,
            app.id,
            {
              ...(body.name !== undefined ? { name: body.name } : {}),
              ...(cpu !== undefined ? { cpu_millicores: cpu } : {}),
              ...(mem !== undefined ? { memory_mb: mem } : {}),
              ...(body.zone !== undefined ? { zone: body.zone } : {}),
              ...envValues,
            },
            now,
          );
        });
        return view(owned.id);
      },
    }),
    ...appActionRoutes(deps, view),
  ];
}
