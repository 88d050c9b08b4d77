import type { UserApiDeps } from "../deps.js";
import type { UserRoute } from "../route.js";
import { adminRoutes } from "./admin-routes.js";
import { alertRoutes } from "./alert-routes.js";
import { appRoutes } from "./app-routes.js";
import { authRoutes } from "./auth-routes.js";
import { deploymentRoutes } from "./deployment-routes.js";
import { domainRoutes } from "./domain-routes.js";
import { logRoutes } from "./log-routes.js";
import { meRoutes } from "./me-routes.js";
import { metaRoutes } from "./meta-routes.js";
import { sessionRoutes } from "./session-routes.js";
import { tokenRoutes } from "./token-routes.js";
import { usageRoutes } from "./usage-routes.js";
import { webhookRoutes } from "./webhook-routes.js";

/**
 * The user API's route table: every route of /api/v1, each with its access
 * declaration. Tests generate the authorization matrix from this list.
 */
export function userApiRoutes(deps: UserApiDeps): UserRoute[] {
  return [
    ...metaRoutes(),
    ...authRoutes(deps),
    ...meRoutes(deps),
    ...sessionRoutes(deps),
    ...tokenRoutes(deps),
    ...appRoutes(deps),
    ...logRoutes(deps),
    ...deploymentRoutes(deps),
    ...domainRoutes(deps),
    ...alertRoutes(deps),
    ...webhookRoutes(deps),
    ...usageRoutes(deps),
    ...adminRoutes(deps),
  ];
}
