/**
 * A scheduler in its own process, placing jobs on DATABASE_URL until it is
 * killed (the crash-safety test SIGKILLs it at random moments) or, with
 * `--until-idle`, until a pass places nothing. Prints "ready" once connected
 * and "placed N" after every pass that placed something.
 */
import { openDatabase } from "../src/db/database.js";
import { Scheduler } from "../src/scheduler/scheduler.js";

const url = process.env.DATABASE_URL;
if (!url) {
  process.stderr.write("scheduler-child: DATABASE_URL is required\n");
  process.exit(2);
}
const untilIdle = process.argv.includes("--until-idle");
const quiet = {
  info: () => undefined,
  warn: () => undefined,
  error: (o: object, m: string) => console.error(m, o),
};
const db = await openDatabase({ engine: "postgres", url, poolSize: 2 }, quiet);
const scheduler = new Scheduler({
  db: db.kysely,
  log: quiet,
  intervalMs: 1000,
  batch: Number(process.env.BATCH ?? 20),
});
process.stdout.write("ready\n");
for (;;) {
  const { assigned } = await scheduler.runOnce();
  if (assigned.length > 0) process.stdout.write(`placed ${assigned.length}\n`);
  else if (untilIdle) break;
  else await new Promise((r) => setTimeout(r, 5));
}
await db.close();
