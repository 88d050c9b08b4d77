import type { Kysely } from "kysely";
import { lockAppOwner, sumPlanUsage } from "../db/apps.js";
import { findPlan } from "../db/plans.js";
import type { DB } from "../db/schema.js";
import { AppError } from "../errors.js";

/** What a creation or a resize asks of the plan. */
export interface PlanRequest {
  /** True when a new app is being created (it counts against max_apps). */
  newApp: boolean;
  /** The app's CPU after the change; undefined when it is not being raised. */
  cpu_millicores?: number;
  /** The app's memory after the change; undefined when it is not being raised. */
  memory_mb?: number;
}

/**
 * Throws `plan_limit` (403), naming the field and the plan's limit, when the
 * user's apps (not deleting or deleted; `exceptAppId` left out) together with
 * the request would exceed the user's plan. Locks the user's row first, so
 * call it inside the transaction that then writes the app: concurrent
 * requests of one user are checked one after the other. A user whose plan
 * does not exist may create nothing.
 */
export async function assertWithinPlan(
  trx: Kysely<DB>,
  user: { id: number; plan_name: string },
  want: PlanRequest,
  exceptAppId?: number,
): Promise<void> {
  await lockAppOwner(trx, user.id);
  const plan = (await findPlan(trx, user.plan_name)) ?? {
    max_apps: 0,
    max_cpu_millicores: 0,
    max_memory_mb: 0,
  };
  const used = await sumPlanUsage(trx, user.id, exceptAppId);
  const name = user.plan_name;
  if (want.newApp && used.apps + 1 > plan.max_apps) {
    throw new AppError(
      "plan_limit",
      `apps: the ${name} plan allows at most ${plan.max_apps} apps and you have ${used.apps}`,
      { field: "apps" },
    );
  }
  if (
    want.cpu_millicores !== undefined &&
    used.cpu_millicores + want.cpu_millicores > plan.max_cpu_millicores
  ) {
    throw new AppError(
      "plan_limit",
      `cpu_millicores: the ${name} plan allows ${plan.max_cpu_millicores} millicores over all apps; ` +
        `your other apps use ${used.cpu_millicores} and this asks for ${want.cpu_millicores}`,
      { field: "cpu_millicores" },
    );
  }
  if (want.memory_mb !== undefined && used.memory_mb + want.memory_mb > plan.max_memory_mb) {
    throw new AppError(
      "plan_limit",
      `memory_mb: the ${name} plan allows ${plan.max_memory_mb} MB over all apps; ` +
        `your other apps use ${used.memory_mb} and this asks for ${want.memory_mb}`,
      { field: "memory_mb" },
    );
  }
}
