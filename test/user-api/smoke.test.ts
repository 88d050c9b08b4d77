import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestControlPlane, type TestControlPlane } from "../helpers/control-plane.js";
import { ApiClient, signUp } from "../helpers/api-client.js";

let cp: TestControlPlane;
beforeAll(async () => {
  cp = await startTestControlPlane();
});
afterAll(() => cp.stop());

it("signs up, reads /me, serves openapi", async () => {
  const admin = await signUp(cp.url, "admin@example.com");
  const me = await admin.get("/me");
  expect(me.status).toBe(200);
  expect(me.body.user.is_admin).toBe(true);
  const doc = await new ApiClient(cp.url).get("/openapi.json");
  expect(doc.status).toBe(200);
  console.log(JSON.stringify(doc.body).slice(0, 1500));
  const anon = await new ApiClient(cp.url).get("/me");
  expect(anon.status).toBe(401);
  const bad = await new ApiClient(cp.url).post("/auth/signup", { email: "x", password: "short" });
  console.log(bad.status, bad.body);
});
