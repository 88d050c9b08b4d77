import type { Kysely } from "kysely";
import type { LiveAppStats } from "../api/stats-store.js";
import type { Config } from "../config/schema.js";
import type { SecretBox } from "../crypto/aes.js";
import type { DB } from "../db/schema.js";
import type { Publisher } from "../events/publisher.js";
import type { Logger } from "../log.js";
import type { LogBus } from "../logbus/log-bus.js";
import type { TestableWebhook, TestEventResult } from "../webhooks/test-event.js";
import type { LoginLimiter } from "./login-limiter.js";
import type { SessionAuth } from "./session-auth.js";

/** Looks up TXT records (node:dns `resolveTxt` in production, a fake in tests). */
export type TxtResolver = (hostname: string) => Promise<string[][]>;

/**
 * Everything the user API's routes use, passed in by the composition root
 * (DESIGN.md 4.4): no route module reaches for a singleton.
 */
export interface UserApiDeps {
  db: Kysely<DB>;
  config: Pick<Config, "auth" | "proxy" | "server" | "data_dir" | "plans">;
  secretBox: SecretBox;
  sessions: SessionAuth;
  limiter: LoginLimiter;
  logBus: LogBus;
  /** Live per-app stats held by this replica's hub. */
  stats: { appStatsLive(appId: number): LiveAppStats | undefined };
  publisher: Publisher;
  webhooks: { sendTestEvent(webhook: TestableWebhook): Promise<TestEventResult> };
  resolveTxt: TxtResolver;
  /** Drops this replica's cached proxy configuration (a domain was verified or removed). */
  onRoutesChanged: () => void;
  /** Where uploaded build contexts are kept. */
  artifactsDir: string;
  now: () => Date;
  log: Logger;
}
