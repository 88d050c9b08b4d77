import { z } from "zod";
import type { LogLine } from "../../logbus/log-bus.js";
import type { UserApiDeps } from "../deps.js";
import { findOwnedApp } from "../owned.js";
import { defineRoute, type UserRoute } from "../route.js";
import { booleanFlag, slugParams } from "../schemas.js";
import { openEventStream } from "../sse.js";

export const LOG_TAIL_DEFAULT = 100;
export const LOG_TAIL_MAX = 1000;

const logQuery = z.object({
  follow: booleanFlag.default(false),
  tail: z.coerce.number().int().min(0).max(LOG_TAIL_MAX).default(LOG_TAIL_DEFAULT),
});

/** One `log` event's data. `ts` is the worker's time of the line, as an RFC 3339 string. */
function logEvent(l: LogLine): { ts: string; stream: string; line: string } {
  return { ts: new Date(l.ts).toISOString(), stream: l.stream, line: l.line };
}

/** Runtime logs of an app, from the log bus (lines arrive sanitised by the hub). */
export function logRoutes(deps: UserApiDeps): UserRoute[] {
  return [
    defineRoute({
      method: "GET",
      url: "/apps/:slug/logs",
      access: "user",
      summary:
        "The app's runtime log as server-sent events: `log` {ts, stream, line} for the last `tail` lines, " +
        "then live lines with follow=1; without follow, `end` after the tail",
      tags: ["apps"],
      schema: {
        params: slugParams,
        querystring: logQuery,
        response: { 200: z.string().describe("text/event-stream") },
      },
      handler: async ({ principal, params, query, reply }) => {
        const app = await findOwnedApp(deps.db, principal.user.id, params.slug);
        const stream = openEventStream(reply);
        // Tail and subscribe in one synchronous step: no line falls between them or comes twice.
        const tail = query.tail > 0 ? deps.logBus.tail(app.id, query.tail) : [];
        const unsubscribe = query.follow
          ? deps.logBus.subscribe(app.id, (l) => {
              stream.send("log", logEvent(l));
            })
          : undefined;
        try {
          for (const l of tail) stream.send("log", logEvent(l));
          if (!query.follow) {
            stream.send("end", {});
            stream.close();
          }
          // Ends when the client goes away, a slow reader overflows, or (without follow) just above.
          await stream.done;
        } finally {
          unsubscribe?.();
        }
      },
    }),
  ];
}
