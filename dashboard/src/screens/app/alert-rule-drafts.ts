import type { AlertRule, AlertRuleKind } from "../../api/obs-types";

/**
 * The alert-rules form's model: one draft per rule kind, in a fixed order,
 * as the inputs hold it (strings), and the PUT /apps/:slug/alert-rules body
 * it becomes. Kinds, units and bounds follow src/web/routes/alert-routes.ts.
 * Pure.
 */

export interface RuleKindInfo {
  kind: AlertRuleKind;
  label: string;
  /** What the threshold counts; null for `offline`, which has none. */
  unit: string | null;
  /** The threshold's upper bound (percentages); otherwise none beyond the API's. */
  max?: number;
  /** Threshold offered for a kind that has no rule yet. */
  defaultThreshold: number;
  help: string;
}

export const RULE_KINDS: readonly RuleKindInfo[] = [
  {
    kind: "cpu",
    label: "CPU",
    unit: "%",
    max: 100,
    defaultThreshold: 90,
    help: "CPU use above the threshold.",
  },
  {
    kind: "memory",
    label: "Memory",
    unit: "% of limit",
    max: 100,
    defaultThreshold: 90,
    help: "Memory use above this share of the app's memory limit.",
  },
  {
    kind: "network",
    label: "Network",
    unit: "Mbit/s",
    defaultThreshold: 100,
    help: "Traffic above the threshold.",
  },
  {
    kind: "disk",
    label: "Disk I/O",
    unit: "MB/s",
    defaultThreshold: 50,
    help: "Disk reads and writes above the threshold.",
  },
  {
    kind: "offline",
    label: "Offline",
    unit: null,
    defaultThreshold: 0,
    help: "The app's worker is offline or the app reports no stats.",
  },
];

/** Minutes a condition must hold, as the API bounds them. */
export const SUSTAIN_MIN = 1;
export const SUSTAIN_MAX = 1440;
const DEFAULT_SUSTAIN = 5;

export interface RuleDraft {
  kind: AlertRuleKind;
  enabled: boolean;
  threshold: string;
  sustain: string;
}

/** A draft per kind in RULE_KINDS order: the stored rule's values, else the defaults, off. */
export function draftsFromRules(rules: readonly AlertRule[]): RuleDraft[] {
  return RULE_KINDS.map((k) => {
    const r = rules.find((x) => x.kind === k.kind);
    return r
      ? {
          kind: k.kind,
          enabled: r.enabled,
          threshold: String(r.threshold),
          sustain: String(r.sustain_minutes),
        }
      : {
          kind: k.kind,
          enabled: false,
          threshold: String(k.defaultThreshold),
          sustain: String(DEFAULT_SUSTAIN),
        };
  });
}

export interface RuleInput {
  kind: AlertRuleKind;
  threshold?: number;
  sustain_minutes: number | null;
  enabled: boolean;
}

function parseNumber(s: string): number | null {
  const t = s.trim();
  if (t === "") return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}

/**
 * The PUT body: every kind's rule (disabled ones keep their settings), in
 * draft order, so the API's `rules.<i>.<field>` errors point back at
 * drafts[i]. A blank or unreadable number is sent as missing (threshold) or
 * null (sustain) and the API names the field.
 */
export function rulesBody(drafts: readonly RuleDraft[]): { rules: RuleInput[] } {
  return {
    rules: drafts.map((d) => {
      const threshold = d.kind === "offline" ? null : parseNumber(d.threshold);
      return {
        kind: d.kind,
        ...(threshold === null ? {} : { threshold }),
        sustain_minutes: parseNumber(d.sustain),
        enabled: d.enabled,
      };
    }),
  };
}
