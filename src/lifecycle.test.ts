import { describe, expect, it } from "vitest";
import { startAll, stopAll, type Service } from "./lifecycle.js";

const log = { info: () => undefined, error: () => undefined };

function recorder(events: string[], name: string, failStart = false, failStop = false): Service {
  return {
    name,
    start: () => {
      events.push(`start ${name}`);
      return failStart ? Promise.reject(new Error(`${name} cannot start`)) : Promise.resolve();
    },
    stop: () => {
      events.push(`stop ${name}`);
      return failStop ? Promise.reject(new Error(`${name} cannot stop`)) : Promise.resolve();
    },
  };
}

describe("startAll / stopAll", () => {
  it("starts in order and stops in reverse, continuing past a failing stop", async () => {
    const events: string[] = [];
    const services = [recorder(events, "a"), recorder(events, "b", false, true), recorder(events, "c")];
    await startAll(services, log);
    await stopAll(services, log);
    expect(events).toEqual(["start a", "start b", "start c", "stop c", "stop b", "stop a"]);
  });

  it("stops what already started when a later service fails to start", async () => {
    const events: string[] = [];
    const services = [
      recorder(events, "a"),
      recorder(events, "b"),
      recorder(events, "c", true),
      recorder(events, "d"),
    ];
    await expect(startAll(services, log)).rejects.toThrow("c cannot start");
    expect(events).toEqual(["start a", "start b", "start c", "stop b", "stop a"]);
  });
});
