import { PACKAGE_JSON } from "./package-root.js";

/**
 * The package's version from package.json: the user API's OpenAPI document
 * and the agent's `agent_version` report it.
 */
export const PACKAGE_VERSION = typeof PACKAGE_JSON.version === "string" ? PACKAGE_JSON.version : "0.0.0";
