import type { AlertRuleKind } from "../db/schema.js";
import type { EventType } from "../events/publisher.js";
import type { AlertSeverity } from "./manager.js";

/**
 * What a threshold alert says, per rule kind (the reference's
 * metricEventName, metricTitle and metricMessage). Pure.
 */

/** The event published when a rule of this kind fires. */
export const FIRED_EVENT: Readonly<Record<AlertRuleKind, EventType>> = {
  cpu: "app.cpu",
  memory: "app.memory",
  network: "app.network",
  disk: "app.disk",
  offline: "app.offline",
};

export const RULE_SEVERITY: Readonly<Record<AlertRuleKind, AlertSeverity>> = {
  cpu: "warning",
  memory: "warning",
  network: "warning",
  disk: "warning",
  offline: "critical",
};

const METRIC_LABEL = { cpu: "CPU", memory: "Memory", network: "Network", disk: "Disk I/O" } as const;
const METRIC_UNIT = { cpu: "%", memory: "% of limit", network: " Mbps", disk: " MB/s" } as const;

export function ruleTitle(kind: AlertRuleKind, appName: string): string {
  if (kind === "offline") return `${appName} is offline`;
  return `${METRIC_LABEL[kind]} above threshold on ${appName}`;
}

/**
 * The alert's message. For a metric, `value` is the reading that fired it;
 * for `offline`, `workerOnline` says whether the worker or the stats were
 * the cause.
 */
export function ruleMessage(
  kind: AlertRuleKind,
  value: number | undefined,
  threshold: number,
  sustainMinutes: number,
  workerOnline: boolean,
): string {
  const window = `${sustainMinutes} min`;
  if (kind === "offline")
    return workerOnline
      ? `No stats received from the app for ${window}.`
      : `The app's worker has been offline for ${window}.`;
  const unit = METRIC_UNIT[kind];
  const shown = value === undefined ? "n/a" : round(value);
  return `${METRIC_LABEL[kind]} at ${shown}${unit}, above ${round(threshold)}${unit} for ${window}.`;
}

function round(n: number): string {
  return String(Math.round(n * 10) / 10);
}
