import { describe, expect, it } from "vitest";
import { draftsFromRules, RULE_KINDS, rulesBody } from "./alert-rule-drafts";

describe("alert rule drafts", () => {
  it("makes one draft per kind in a fixed order, stored values first, defaults off", () => {
    const drafts = draftsFromRules([
      { kind: "memory", threshold: 75.5, sustain_minutes: 10, enabled: true },
      { kind: "offline", threshold: 0, sustain_minutes: 3, enabled: false },
    ]);
    expect(drafts.map((d) => d.kind)).toEqual(["cpu", "memory", "network", "disk", "offline"]);
    expect(drafts[0]).toEqual({ kind: "cpu", enabled: false, threshold: "90", sustain: "5" });
    expect(drafts[1]).toEqual({ kind: "memory", enabled: true, threshold: "75.5", sustain: "10" });
    expect(drafts[4]).toEqual({ kind: "offline", enabled: false, threshold: "0", sustain: "3" });
    expect(RULE_KINDS.filter((k) => k.max === 100).map((k) => k.kind)).toEqual(["cpu", "memory"]);
  });

  it("turns drafts into the PUT body, indexes matching the drafts", () => {
    const drafts = draftsFromRules([]);
    drafts[0] = { kind: "cpu", enabled: true, threshold: " 80 ", sustain: "15" };
    drafts[2] = { kind: "network", enabled: true, threshold: "", sustain: "x" };
    drafts[4] = { kind: "offline", enabled: true, threshold: "99", sustain: "2" };
    const { rules } = rulesBody(drafts);
    expect(rules.map((r) => r.kind)).toEqual(["cpu", "memory", "network", "disk", "offline"]);
    expect(rules[0]).toEqual({ kind: "cpu", threshold: 80, sustain_minutes: 15, enabled: true });
    expect(rules[1]).toEqual({ kind: "memory", threshold: 90, sustain_minutes: 5, enabled: false });
    // Blank threshold: left out so the API says it is required; unreadable minutes: null.
    expect(rules[2]).toEqual({ kind: "network", sustain_minutes: null, enabled: true });
    // offline never sends a threshold.
    expect(rules[4]).toEqual({ kind: "offline", sustain_minutes: 2, enabled: true });
  });
});
