import { z } from "zod";
import type { AppRow, AppWithWorker } from "../../db/apps.js";
import { ConflictError } from "../../errors.js";
import { appUrl } from "../../webhooks/payload.js";
import { iso, isoDate } from "../schemas.js";

/**
 * The App resource of the user API. Env values are never part of it: only
 * their names. The response schema strips anything it does not name, so a
 * sealed value cannot leak through a row passed whole.
 */
export const appSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  slug: z.string(),
  status: z.string(),
  url: z.string(),
  cpu_millicores: z.number().int(),
  memory_mb: z.number().int(),
  zone: z.string().nullable(),
  worker: z.object({ id: z.number().int(), name: z.string() }).nullable(),
  current_deployment_id: z.number().int().nullable(),
  env_names: z.array(z.string()),
  created_at: isoDate,
  updated_at: isoDate,
});
export type AppDto = z.infer<typeof appSchema>;

export function appDto(app: AppWithWorker, baseDomain: string): AppDto {
  return {
    id: app.id,
    name: app.name,
    slug: app.slug,
    status: app.status,
    url: appUrl(app.slug, baseDomain),
    cpu_millicores: app.cpu_millicores,
    memory_mb: app.memory_mb,
    zone: app.zone,
    worker:
      app.worker_id !== null && app.worker_name !== null
        ? { id: app.worker_id, name: app.worker_name }
        : null,
    current_deployment_id: app.current_deployment_id,
    env_names: [...app.env_names],
    created_at: iso(app.created_at),
    updated_at: iso(app.updated_at),
  };
}

/** Refuses changes to an app whose delete is under way. */
export function assertNotDeleting(app: Pick<AppRow, "slug" | "status">): void {
  if (app.status === "deleting" || app.status === "deleted") {
    throw new ConflictError("conflict", `app ${app.slug} is being deleted`);
  }
}
