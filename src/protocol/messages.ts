import type { z } from "zod";

import { fastAppStats, fastHeartbeat } from "./fast-checks.js";
import { errorPayload, helloPayload, jobPayload } from "./messages-server.js";
import {
  appStatsPayload,
  appStatusPayload,
  buildLogPayload,
  heartbeatPayload,
  jobResultPayload,
  jobStatusPayload,
  runtimeLogPayload,
  violationPayload,
} from "./messages-worker.js";

/**
 * The message catalogue (worker protocol §4, §5): one payload schema per
 * envelope `type`, per direction. The server decodes with
 * `workerMessageSchemas` and encodes with `serverMessageSchemas`; the agent
 * the other way round.
 */

/** A catalogue: envelope type → payload schema. */
export type SchemaMap = Readonly<Record<string, z.ZodType>>;

export const serverMessageSchemas = {
  hello: helloPayload,
  job: jobPayload,
  error: errorPayload,
} as const satisfies SchemaMap;

export const workerMessageSchemas = {
  heartbeat: heartbeatPayload,
  app_stats: appStatsPayload,
  job_status: jobStatusPayload,
  job_result: jobResultPayload,
  app_status: appStatusPayload,
  violation: violationPayload,
  runtime_log: runtimeLogPayload,
  build_log: buildLogPayload,
} as const satisfies SchemaMap;

export type ServerMessageSchemas = typeof serverMessageSchemas;
export type WorkerMessageSchemas = typeof workerMessageSchemas;

export type MessageType<M extends SchemaMap> = keyof M & string;
/** A payload as handlers see it (after parsing: defaults filled, unknown fields stripped). */
export type Payload<M extends SchemaMap, T extends MessageType<M>> = z.output<M[T]>;
/** A payload as a sender may write it (before defaults). */
export type PayloadInput<M extends SchemaMap, T extends MessageType<M>> = z.input<M[T]>;

export type ServerMessageType = MessageType<ServerMessageSchemas>;
export type WorkerMessageType = MessageType<WorkerMessageSchemas>;
export type ServerPayload<T extends ServerMessageType> = Payload<ServerMessageSchemas, T>;
export type WorkerPayload<T extends WorkerMessageType> = Payload<WorkerMessageSchemas, T>;

/** One parsed message: a union over the catalogue, so `switch (msg.type)` narrows `msg.payload`. */
export type ParsedMessage<M extends SchemaMap> = {
  [T in MessageType<M>]: { type: T; payload: Payload<M, T> };
}[MessageType<M>];

export type ParsePayloadResult<M extends SchemaMap> =
  | ({ ok: true } & ParsedMessage<M>)
  | { ok: false; code: "unknown_type" | "bad_payload"; message: string };

/** True when `type` is an own key of the catalogue (never `constructor`, `__proto__` and the like). */
export function isMessageType<M extends SchemaMap>(schemas: M, type: string): type is MessageType<M> {
  return Object.hasOwn(schemas, type);
}

/**
 * Hand-written equivalents of the hottest payload schemas, keyed by the
 * schema object itself, so a catalogue that uses another schema for the
 * same type never takes them. Each returns exactly the schema's output or
 * null, which means "ask zod" (see fast-checks.ts for the contract).
 */
const fastChecks = new Map<z.ZodType, (raw: unknown) => unknown>([
  [heartbeatPayload, fastHeartbeat],
  [appStatsPayload, fastAppStats],
]);

/**
 * Checks 5 and 6 of §3, in that order: `type` is in the catalogue (else
 * `unknown_type`), then `payloadText` is JSON that matches the type's schema
 * (else `bad_payload`). Never throws. The message names the first failing
 * field but never echoes payload content.
 */
export function parsePayload<M extends SchemaMap>(
  schemas: M,
  type: string,
  payloadText: string,
): ParsePayloadResult<M> {
  if (!isMessageType(schemas, type)) {
    return { ok: false, code: "unknown_type", message: `unknown message type ${JSON.stringify(type)}` };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(payloadText);
  } catch {
    return { ok: false, code: "bad_payload", message: `${type}: payload is not valid JSON` };
  }
  const schema = schemas[type] as z.ZodType;
  const fast = fastChecks.get(schema)?.(raw);
  if (fast !== undefined && fast !== null) {
    return { ok: true, type, payload: fast } as ParsePayloadResult<M>;
  }
  const result = schema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.map(String).join(".") : "payload";
    return { ok: false, code: "bad_payload", message: `${type}: ${where}: ${issue?.message ?? "invalid"}` };
  }
  return { ok: true, type, payload: result.data } as ParsePayloadResult<M>;
}
