import { EVENT_TYPES, type EventType, type PlatformEvent } from "../../src/events/publisher.js";
import type { OutboundRequest } from "../../src/webhooks/formatters/request.js";
import {
  buildWebhookPayload,
  isAlertEvent,
  isDeploymentEvent,
  type WebhookPayload,
} from "../../src/webhooks/payload.js";

/**
 * Events for the formatters' golden tests: one of every type in the
 * catalogue (with the deployment or alert its payload carries), plus the
 * edge cases the issue names: a multi-line commit message and a missing SHA.
 */

export const BASE_DOMAIN = "apps.example.com";
const TIME = new Date("2031-05-06T07:08:09.123Z");
const APP = { id: 42, name: "Shop <Front> & Co", slug: "shop-front", user_id: 7 };

function eventOf(type: EventType): PlatformEvent {
  const event: PlatformEvent = { type, app: APP, time: TIME };
  if (isDeploymentEvent(type))
    event.deployment = {
      id: 9,
      commit_sha: "3f786850e387550fdab836ed7e6dc881de23001b",
      commit_message: "Add cart",
    };
  if (isAlertEvent(type)) {
    const kind = type === "alert.resolved" ? "cpu" : type.slice("app.".length);
    event.alert = { id: 3, kind, value: 93.456, threshold: 80, sustain_minutes: 5 };
  }
  if (type === "deployment.failed") event.reason = "build failed: exit code 1\nnpm ERR! missing script";
  if (type === "app.violation") event.reason = "memory limit exceeded";
  return event;
}

/** Every case of the golden files, by name, in a fixed order. */
export function goldenCases(): [string, WebhookPayload][] {
  const cases: [string, PlatformEvent][] = EVENT_TYPES.map((t) => [t, eventOf(t)]);
  cases.push([
    "deployment.succeeded (multi-line commit message)",
    {
      ...eventOf("deployment.succeeded"),
      deployment: {
        id: 10,
        commit_sha: "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3",
        commit_message: "\n  Fix checkout totals  \n\nThe tax was applied twice.\nCloses #12",
      },
    },
  ]);
  cases.push([
    "deployment.failed (missing SHA)",
    {
      ...eventOf("deployment.failed"),
      deployment: { id: 11, commit_sha: null, commit_message: "Try again" },
    },
  ]);
  cases.push([
    "deployment.succeeded (no SHA, no message)",
    { ...eventOf("deployment.succeeded"), deployment: { id: 12, commit_sha: null, commit_message: null } },
  ]);
  return cases.map(([name, e]) => [name, buildWebhookPayload(e, BASE_DOMAIN)]);
}

/** A request as golden text: method and URL, headers sorted, then the body (JSON pretty-printed). */
export function renderRequest(r: OutboundRequest): string {
  const headers = Object.entries(r.headers)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}: ${v}`);
  let body = r.body;
  if ((r.headers["content-type"] ?? "").startsWith("application/json"))
    body = JSON.stringify(JSON.parse(body), null, 2);
  return [`${r.method} ${r.url}`, ...headers, "", body].join("\n");
}

/** The golden file of one formatter over every case. */
export function renderGolden(
  format: (url: string, p: WebhookPayload) => OutboundRequest[],
  url: string,
): string {
  return (
    goldenCases()
      .map(([name, payload]) => `### ${name}\n${format(url, payload).map(renderRequest).join("\n---\n")}\n`)
      .join("\n") + ""
  );
}
