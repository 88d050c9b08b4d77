import { EventEmitter } from "node:events";

import type { ContainerInfo } from "./runtime/runtime.js";
import { LABEL_APP_ID, LABEL_DEPLOYMENT_ID, LABEL_HOST_PORT, LABEL_MANAGED } from "./runtime/runtime.js";

/** A container the agent runs for an app, as its labels describe it. */
export interface ManagedContainer {
  id: string;
  name: string;
  appId: number;
  deploymentId: number | null;
  hostPort: number | null;
  /** Follow its output from this time (ms): the start of a deploy, or the agent's start for an adopted one. */
  logsSinceMs?: number;
}

function positiveIntLabel(value: string | undefined): number | null {
  return value !== undefined && /^[1-9]\d{0,9}$/.test(value) ? Number(value) : null;
}

/** The managed container an inspected one is, or undefined when its labels do not say it is ours. */
export function managedFromInfo(info: ContainerInfo): ManagedContainer | undefined {
  if (info.labels[LABEL_MANAGED] !== "true") return undefined;
  const appId = positiveIntLabel(info.labels[LABEL_APP_ID]);
  if (appId === null) return undefined;
  return {
    id: info.id,
    name: info.name,
    appId,
    deploymentId: positiveIntLabel(info.labels[LABEL_DEPLOYMENT_ID]),
    hostPort: positiveIntLabel(info.labels[LABEL_HOST_PORT]),
  };
}

export interface RegistryEvents {
  added: [ManagedContainer];
  removed: [ManagedContainer];
}

/**
 * The containers the agent currently manages, by id: what the stats sampler
 * samples, the log shipper follows and the app monitor judges. The job
 * runner adds a container once it runs and removes it *before* stopping it,
 * so the monitor never reports an app stopped for a container the agent
 * retired on purpose. `quiet` marks a container whose next stop and start
 * are the agent's own (a restart job).
 */
export class ContainerRegistry extends EventEmitter<RegistryEvents> {
  readonly #byId = new Map<string, ManagedContainer>();
  readonly #quiet = new Set<string>();

  /** Adds (or replaces) a container; emits `added` only for a new id. */
  add(c: ManagedContainer): void {
    const known = this.#byId.has(c.id);
    this.#byId.set(c.id, c);
    if (!known) this.emit("added", c);
  }

  remove(id: string): ManagedContainer | undefined {
    const c = this.#byId.get(id);
    if (!c) return undefined;
    this.#byId.delete(id);
    this.#quiet.delete(id);
    this.emit("removed", c);
    return c;
  }

  get(id: string): ManagedContainer | undefined {
    return this.#byId.get(id);
  }

  all(): ManagedContainer[] {
    return [...this.#byId.values()];
  }

  byApp(appId: number): ManagedContainer[] {
    return this.all().filter((c) => c.appId === appId);
  }

  /** Distinct app ids among the managed containers. */
  appIds(): Set<number> {
    return new Set(this.all().map((c) => c.appId));
  }

  setQuiet(id: string, quiet: boolean): void {
    if (quiet) this.#quiet.add(id);
    else this.#quiet.delete(id);
  }

  isQuiet(id: string): boolean {
    return this.#quiet.has(id);
  }
}
