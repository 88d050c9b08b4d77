import type { SecretBox } from "../crypto/aes.js";
import type { EventType, PlatformEvent } from "../events/publisher.js";
import type { GuardedHttpClient, SendOutcome } from "./http-client.js";
import { buildWebhookPayload } from "./payload.js";
import { openWebhookTarget } from "./registration.js";
import { buildDeliveryRequests } from "./targets.js";

/**
 * "Send a test event", for the user API: one attempt, now, bypassing the
 * outbox (nothing is stored, nothing retried), through the same formatters,
 * signing, SSRF guard, timeout and redirect rule as a real delivery. The
 * body is a sample of a real event type with `"test": true`, and its
 * `webhook-id` starts with `test_`.
 */

export interface TestEventDeps {
  secretBox: SecretBox;
  client: GuardedHttpClient;
  baseDomain: string;
  now: () => Date;
  newEventId: () => string;
}

export interface TestEventOptions {
  /** The event type to imitate; defaults to the webhook's first subscribed type. */
  type?: EventType;
  /** The app to name in it; defaults to a sample app called "example-app". */
  app?: { id: number; name: string; slug: string };
}

export interface TestEventResult extends SendOutcome {
  messageId: string;
}

export interface TestableWebhook {
  user_id: number;
  url_enc: string;
  secret_enc: string;
  events: readonly string[];
}

/** A sample event of `type`: every field its payload can carry is filled. */
export function sampleEvent(
  type: EventType,
  userId: number,
  app: TestEventOptions["app"],
  time: Date,
): PlatformEvent {
  const a = app ?? { id: 0, name: "example-app", slug: "example-app" };
  return {
    type,
    app: { ...a, user_id: userId },
    deployment: {
      id: 0,
      commit_sha: "0123456789abcdef0123456789abcdef01234567",
      commit_message: "Test event",
    },
    alert: { id: 0, kind: type.replace(/^app\.|^alert\./, ""), value: 90, threshold: 80, sustain_minutes: 5 },
    reason: "This is a test event sent from the dashboard.",
    time,
  };
}

export async function sendTestEvent(
  deps: TestEventDeps,
  webhook: TestableWebhook,
  opts: TestEventOptions = {},
): Promise<TestEventResult> {
  const messageId = `test_${deps.newEventId()}`;
  const type = opts.type ?? (webhook.events[0] as EventType | undefined) ?? "deployment.succeeded";
  const now = deps.now();
  const payload = {
    ...buildWebhookPayload(sampleEvent(type, webhook.user_id, opts.app, now), deps.baseDomain),
    test: true as const,
  };
  const body = JSON.stringify(payload);
  let requests;
  try {
    requests = buildDeliveryRequests(openWebhookTarget(deps.secretBox, webhook), payload, body, {
      messageId,
      now,
    });
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    return { messageId, ok: false, statusCode: null, error, blocked: false };
  }
  let last: SendOutcome = { ok: true, statusCode: null, error: null, blocked: false };
  for (const request of requests) {
    last = await deps.client.send(request);
    if (!last.ok) break;
  }
  return { messageId, ...last };
}
