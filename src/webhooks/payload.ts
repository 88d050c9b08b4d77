import { EVENT_TYPES, type EventType, type PlatformEvent } from "../events/publisher.js";

/**
 * The JSON body of every webhook delivery (Standard Webhooks envelope):
 * `{"type": ..., "timestamp": ..., "data": {...}}`, where `timestamp` is the
 * time the event happened (RFC 3339, UTC) and `data` is typed per event:
 *
 * - every event carries the app: id, name, slug and its URL
 *   `https://<slug>.<base_domain>`, and `reason` when the publisher gave one;
 * - `deployment.*` carry the deployment (id, commit SHA, commit message), null
 *   when the publisher had none;
 * - the alert-driven events carry the alert (id, kind, value, threshold,
 *   sustain in minutes), null when the publisher had none.
 *
 * The body is built once per event, stored in every delivery row and sent
 * byte for byte on each attempt, so a signature always covers what was stored.
 * The user id of the app is internal and never part of it.
 */

export const DEPLOYMENT_EVENTS = ["deployment.succeeded", "deployment.failed"] as const;
export const ALERT_EVENTS = [
  "app.crashloop",
  "app.cpu",
  "app.memory",
  "app.network",
  "app.disk",
  "app.offline",
  "alert.resolved",
] as const;
export const APP_EVENTS = ["app.stopped", "app.violation"] as const;

export type DeploymentEventType = (typeof DEPLOYMENT_EVENTS)[number];
export type AlertEventType = (typeof ALERT_EVENTS)[number];
export type AppEventType = (typeof APP_EVENTS)[number];

// Compile-time proof that the three groups partition the catalogue exactly.
type Grouped = DeploymentEventType | AlertEventType | AppEventType;
const _everyEventGrouped: [Exclude<EventType, Grouped>, Exclude<Grouped, EventType>] extends [never, never]
  ? true
  : never = true;
void _everyEventGrouped;

export interface WebhookApp {
  id: number;
  name: string;
  slug: string;
  url: string;
}

export interface WebhookDeployment {
  id: number;
  commit_sha: string | null;
  commit_message: string | null;
}

export interface WebhookAlert {
  id: number;
  kind: string;
  value: number | null;
  threshold: number | null;
  sustain_minutes: number | null;
}

interface BaseData {
  app: WebhookApp;
  reason?: string;
}

export type WebhookEventData<T extends EventType> = T extends DeploymentEventType
  ? BaseData & { deployment: WebhookDeployment | null }
  : T extends AlertEventType
    ? BaseData & { alert: WebhookAlert | null }
    : BaseData;

/** A discriminated union on `type`: narrowing it narrows `data`. */
export type WebhookPayload = {
  [T in EventType]: {
    type: T;
    timestamp: string;
    data: WebhookEventData<T>;
    /** Present (true) only on a "send a test event" delivery. */
    test?: true;
  };
}[EventType];

/** `https://<slug>.<base_domain>`, the address the proxy serves the app on. */
export function appUrl(slug: string, baseDomain: string): string {
  return `https://${slug}.${baseDomain}`;
}

export function isDeploymentEvent(type: EventType): type is DeploymentEventType {
  return (DEPLOYMENT_EVENTS as readonly string[]).includes(type);
}

export function isAlertEvent(type: EventType): type is AlertEventType {
  return (ALERT_EVENTS as readonly string[]).includes(type);
}

/** The typed payload of `event`. Pure; keys in a fixed order so bodies are byte-stable. */
export function buildWebhookPayload(event: PlatformEvent, baseDomain: string): WebhookPayload {
  const app: WebhookApp = {
    id: event.app.id,
    name: event.app.name,
    slug: event.app.slug,
    url: appUrl(event.app.slug, baseDomain),
  };
  const reason = event.reason ? { reason: event.reason } : {};
  const timestamp = event.time.toISOString();
  const type = event.type;
  if (isDeploymentEvent(type)) {
    const d = event.deployment;
    const deployment = d ? { id: d.id, commit_sha: d.commit_sha, commit_message: d.commit_message } : null;
    return { type, timestamp, data: { app, deployment, ...reason } };
  }
  if (isAlertEvent(type)) {
    const a = event.alert;
    const alert = a
      ? { id: a.id, kind: a.kind, value: a.value, threshold: a.threshold, sustain_minutes: a.sustain_minutes }
      : null;
    return { type, timestamp, data: { app, alert, ...reason } };
  }
  return { type, timestamp, data: { app, ...reason } };
}

/**
 * Reads back a body this module built (a delivery row's `body`). Throws on
 * anything else: the rows are ours, so a mismatch is corruption, not input.
 */
export function parseWebhookPayload(body: string): WebhookPayload {
  const value = JSON.parse(body) as Partial<WebhookPayload> | null;
  if (
    value === null ||
    typeof value !== "object" ||
    !(EVENT_TYPES as readonly unknown[]).includes(value.type) ||
    typeof value.timestamp !== "string" ||
    typeof value.data?.app?.slug !== "string"
  ) {
    throw new Error("stored webhook body is not a webhook payload");
  }
  return value as WebhookPayload;
}
