import { ALERTS_USAGE, runAlerts } from "./alerts.js";
import { parseArgs, UsageError } from "./args.js";
import { DASHBOARD_USAGE, runDashboard } from "./dashboard.js";
import { HUB_USAGE, runHub } from "./hub.js";
import { runScheduler, SCHEDULER_USAGE } from "./scheduler.js";
import { runWebhooks, WEBHOOKS_USAGE } from "./webhooks.js";
import { runTraefik, TRAEFIK_USAGE } from "./traefik.js";

/**
 * `npm run bench -- <name> [flags]`: runs one benchmark against the real
 * code path and the real database and prints its figures, with a ratio
 * against a baseline measured in the same run. A benchmark reports; a missed
 * goal does not change the exit code. Exit 2 is a usage error.
 */

interface Benchmark {
  usage: string;
  run(flags: Map<string, string>): Promise<void>;
}

/** By name; later benchmarks (scheduler, traefik, alerts, webhooks) are added here. */
const BENCHMARKS: ReadonlyMap<string, Benchmark> = new Map([
  ["hub", { usage: HUB_USAGE, run: runHub }],
  ["scheduler", { usage: SCHEDULER_USAGE, run: runScheduler }],
  ["traefik", { usage: TRAEFIK_USAGE, run: runTraefik }],
  ["alerts", { usage: ALERTS_USAGE, run: runAlerts }],
  ["webhooks", { usage: WEBHOOKS_USAGE, run: runWebhooks }],
  ["dashboard", { usage: DASHBOARD_USAGE, run: runDashboard }],
]);

function usage(): string {
  const lines = [...BENCHMARKS.values()].map((b) => `  npm run bench -- ${b.usage}`);
  return ["usage:", ...lines].join("\n");
}

async function main(argv: readonly string[]): Promise<number> {
  try {
    const { name, flags } = parseArgs(argv);
    const bench = name === undefined ? undefined : BENCHMARKS.get(name);
    if (!bench)
      throw new UsageError(name === undefined ? "no benchmark named" : `unknown benchmark "${name}"`);
    await bench.run(flags);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`bench: ${err.message}\n${usage()}`);
      return 2;
    }
    console.error("bench: failed:", err);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
