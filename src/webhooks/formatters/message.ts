import type { EventType } from "../../events/publisher.js";
import type { WebhookPayload } from "../payload.js";

/**
 * The chat text of an event, after the reference's formatShoutrrrMessage:
 *
 *   {emoji} {title} — {app}
 *   https://{subdomain}
 *
 * then, for deployments, `{short(sha)} {firstLine(commit message)}` (either
 * part left out when missing, the line when both are), for alerts the
 * measured value against its threshold, and the first line of the reason
 * when the publisher gave one. Pure: the same payload gives the same text.
 */

/** Closed table: a new event type does not compile until it has an emoji. */
export const eventEmoji: Readonly<Record<EventType, string>> = {
  "deployment.succeeded": "✅",
  "deployment.failed": "❌",
  "app.stopped": "⏹️",
  "app.violation": "🚫",
  "app.crashloop": "🔁",
  "app.cpu": "🔥",
  "app.memory": "🧠",
  "app.network": "🌐",
  "app.disk": "💾",
  "app.offline": "📴",
  "alert.resolved": "🟢",
};

/** Closed table: a new event type does not compile until it has a title. */
export const eventTitle: Readonly<Record<EventType, string>> = {
  "deployment.succeeded": "Deployment succeeded",
  "deployment.failed": "Deployment failed",
  "app.stopped": "App stopped",
  "app.violation": "Resource limit violated",
  "app.crashloop": "App is crash-looping",
  "app.cpu": "High CPU usage",
  "app.memory": "High memory usage",
  "app.network": "High network traffic",
  "app.disk": "High disk I/O",
  "app.offline": "App offline",
  "alert.resolved": "Alert resolved",
};

/** The first 7 characters of a commit SHA; "" when there is none. */
export function short(sha: string | null | undefined): string {
  return (sha ?? "").trim().slice(0, 7);
}

/** The first non-blank line of `s`, trimmed; "" when there is none. */
export function firstLine(s: string | null | undefined): string {
  for (const line of (s ?? "").split(/\r\n|\r|\n/)) {
    const trimmed = line.trim();
    if (trimmed !== "") return trimmed;
  }
  return "";
}

/** One line: user-supplied names must not break the message's layout. */
function oneLine(s: string): string {
  return s.replace(/[\r\n\t]+/g, " ").trim();
}

function num(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2).replace(/\.?0+$/, "");
}

/** `{title} — {app}`: what services with a separate title field show there. */
export function chatTitle(payload: WebhookPayload): string {
  return `${eventTitle[payload.type]} — ${oneLine(payload.data.app.name)}`;
}

/** The lines after the URL, per event kind. */
function detailLines(payload: WebhookPayload): string[] {
  const lines: string[] = [];
  const data = payload.data;
  if ("deployment" in data && data.deployment) {
    const line = [short(data.deployment.commit_sha), firstLine(data.deployment.commit_message)]
      .filter((part) => part !== "")
      .join(" ");
    if (line !== "") lines.push(line);
  }
  if ("alert" in data && data.alert && data.alert.value !== null) {
    const { value, threshold, sustain_minutes: sustain } = data.alert;
    let line = `${oneLine(data.alert.kind)}: ${num(value)}`;
    if (threshold !== null) line += ` (threshold ${num(threshold)}`;
    if (threshold !== null && sustain !== null) line += `, for ${num(sustain)} min`;
    if (threshold !== null) line += ")";
    lines.push(line);
  }
  const reason = firstLine(data.reason);
  if (reason !== "") lines.push(reason);
  return lines;
}

/** The full chat text (the reference's formatShoutrrrMessage). */
export function formatShoutrrrMessage(payload: WebhookPayload): string {
  const headline = `${eventEmoji[payload.type]} ${chatTitle(payload)}`;
  return [headline, payload.data.app.url, ...detailLines(payload)].join("\n");
}
