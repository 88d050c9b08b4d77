import type { UserRoute } from "../route.js";
import { defineRoute } from "../route.js";

/** The OpenAPI 3 document, generated from the route schemas at start-up. */
export function metaRoutes(): UserRoute[] {
  return [
    defineRoute({
      method: "GET",
      url: "/openapi.json",
      access: "anonymous",
      summary: "This API's OpenAPI 3 document",
      tags: ["meta"],
      schema: {},
      handler: ({ request }) => Promise.resolve(request.server.swagger()),
    }),
  ];
}
