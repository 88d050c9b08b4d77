/**
 * The event types a webhook can subscribe to, in the server's catalogue
 * order (EVENT_TYPES in src/events/publisher.ts; the API refuses any other
 * with webhook_events_invalid). The browser test checks the form offers
 * exactly the server's list.
 */
export const WEBHOOK_EVENTS: readonly { type: string; label: string }[] = [
  { type: "deployment.succeeded", label: "Deployment succeeded" },
  { type: "deployment.failed", label: "Deployment failed" },
  { type: "app.stopped", label: "App stopped" },
  { type: "app.violation", label: "Plan limit violation" },
  { type: "app.crashloop", label: "App crash-looping" },
  { type: "app.cpu", label: "CPU alert" },
  { type: "app.memory", label: "Memory alert" },
  { type: "app.network", label: "Network alert" },
  { type: "app.disk", label: "Disk alert" },
  { type: "app.offline", label: "App offline" },
  { type: "alert.resolved", label: "Alert resolved" },
];

/**
 * Which form field a webhook error is about. The webhook module's own
 * checks (src/webhooks/errors.ts) answer with a code but no field; the
 * request-schema errors name theirs.
 */
export function webhookErrorField(
  err: { code: string; field?: string | undefined } | undefined,
): "url" | "events" | undefined {
  if (!err) return undefined;
  const f = err.field;
  if (f === "url" || f?.startsWith("url.")) return "url";
  if (f === "events" || f?.startsWith("events.")) return "events";
  if (f) return undefined;
  if (err.code === "webhook_events_invalid") return "events";
  if (err.code.startsWith("webhook_url_") || err.code === "webhook_target_blocked") return "url";
  return undefined;
}
