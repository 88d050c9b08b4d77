import websocket from "@fastify/websocket";
import type { FastifyInstance } from "fastify";
import type { WorkerRow } from "../db/workers.js";
import { MAX_FRAME_BYTES } from "../protocol/envelope.js";
import { errorBody } from "./http-errors.js";
import { extractBearer, type WorkerAuth } from "./worker-auth.js";
import type { Hub } from "./ws-hub.js";

export const WORKER_WS_PATH = "/v1/workers/ws";

/**
 * GET /v1/workers/ws. Authentication (worker JWT or raw API key) happens in
 * an onRequest hook, before the upgrade: a bad or missing token gets a plain
 * HTTP 401 and no WebSocket. Frames over 2 MiB end the connection (1009).
 */
export function registerWorkerSocket(app: FastifyInstance, deps: { auth: WorkerAuth; hub: Hub }): void {
  void app.register(websocket, { options: { maxPayload: MAX_FRAME_BYTES } });
  void app.register((scope, _opts, done) => {
    const authenticated = new WeakMap<object, WorkerRow>();
    scope.addHook("onRequest", async (request, reply) => {
      const worker = await deps.auth.resolveWorker(extractBearer(request.headers.authorization));
      if (!worker)
        return reply.status(401).send(errorBody("unauthorized", "missing or invalid worker credentials"));
      authenticated.set(request.raw, worker);
    });
    scope.get(WORKER_WS_PATH, { websocket: true }, (socket, request) => {
      const worker = authenticated.get(request.raw);
      if (!worker) {
        socket.close(1008, "unauthorized");
        return;
      }
      deps.hub.attach(worker, socket).catch((err: unknown) => {
        request.log.error({ err, workerId: worker.id }, "worker connection setup failed");
        socket.close(1011, "setup failed");
      });
    });
    done();
  });
}
