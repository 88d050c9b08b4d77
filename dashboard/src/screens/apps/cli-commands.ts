/** The CLI commands the dashboard offers to copy (syntax of src/cli/commands/deploy.ts). */
import { shellQuote } from "../../agent-command";

/** Deploys a folder with a Containerfile or Dockerfile into the app `slug`. */
export function deployCommand(slug: string): string {
  // The slug may be half-typed text: quoted, a copied command never does more than deploy.
  return `wisehosting deploy ./my-app --app ${slug ? shellQuote(slug) : "SLUG"}`;
}

/** Deploys a folder as a new app named after the folder (the apps list's empty state). */
export const FIRST_DEPLOY_COMMAND = "wisehosting deploy ./my-app";
