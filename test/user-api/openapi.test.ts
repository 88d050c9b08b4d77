import { afterAll, beforeAll, expect, it } from "vitest";
import { routeId } from "../../src/web/route.js";
import { ApiClient } from "../helpers/api-client.js";
import { startTestControlPlane, type TestControlPlane } from "../helpers/control-plane.js";

let cp: TestControlPlane;
beforeAll(async () => {
  cp = await startTestControlPlane();
});
afterAll(() => cp.stop());

it("serves an OpenAPI 3 document that describes every route of the table, with its schemas", async () => {
  const r = await new ApiClient(cp.url).get("/openapi.json");
  expect(r.status).toBe(200);
  const doc = r.body;
  expect(doc.openapi).toMatch(/^3\./);
  expect(doc.info.title).toBe("wisehosting API");
  const described: string[] = [];
  for (const [path, ops] of Object.entries<Record<string, unknown>>(doc.paths)) {
    for (const method of Object.keys(ops)) {
      described.push(
        `${method.toUpperCase()} ${path.replace(/^\/api\/v1/, "").replace(/\{(\w+)\}/g, ":$1")}`,
      );
    }
  }
  expect(described.sort()).toEqual(cp.parts.userRoutes.map(routeId).sort());

  // Bodies and responses come from the zod schemas, not from hand-written text.
  const signup = doc.paths["/api/v1/auth/signup"].post;
  const body = signup.requestBody.content["application/json"].schema;
  expect(body.required).toEqual(["email", "password"]);
  expect(body.properties.password.minLength).toBe(10);
  expect(signup.responses["201"].content["application/json"].schema.properties.user.required).toContain(
    "email",
  );
  // Routes that need a caller say so; anonymous ones do not.
  expect(doc.paths["/api/v1/apps"].get.security).toEqual([{ bearer: [] }, { session: [] }]);
  expect(signup.security).toBeUndefined();
});
