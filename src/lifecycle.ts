/**
 * The lifecycle contract every long-lived part follows (DESIGN.md 4.2).
 *
 * - `start()` returns once the part is running (a server listens, a loop has
 *   scheduled its first tick).
 * - `stop()` is idempotent, safe to call before `start()`, and resolves only
 *   when the work in flight has finished.
 */
export interface Service {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface LifecycleLogger {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/**
 * Starts services in order. If one fails to start, the ones already started
 * are stopped in reverse order and the error is rethrown.
 */
export async function startAll(services: readonly Service[], log: LifecycleLogger): Promise<void> {
  const started: Service[] = [];
  for (const service of services) {
    try {
      await service.start();
      started.push(service);
      log.info({ service: service.name }, "started");
    } catch (err) {
      log.error({ service: service.name, err }, "failed to start");
      await stopAll(started, log);
      throw err;
    }
  }
}

/**
 * Stops services in reverse order. Every service gets its `stop()` called even
 * if an earlier one failed; failures are logged, not thrown.
 */
export async function stopAll(services: readonly Service[], log: LifecycleLogger): Promise<void> {
  for (const service of [...services].reverse()) {
    try {
      await service.stop();
      log.info({ service: service.name }, "stopped");
    } catch (err) {
      log.error({ service: service.name, err }, "failed to stop cleanly");
    }
  }
}
