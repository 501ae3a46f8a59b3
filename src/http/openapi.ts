import swagger from "@fastify/swagger";
import { jsonSchemaTransform } from "fastify-type-provider-zod";
import type { HttpsApp } from "./types.js";

/** Registers OpenAPI generation from the routes' zod schemas. Must run before any route is added. */
export async function registerOpenApi(app: HttpsApp, version: string): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "Seller Pilot API",
        version,
        description:
          'The JSON API of a Seller Pilot instance. Errors are always {"error":{"code","message","requestId"}} with a stable code.',
      },
      tags: [{ name: "system", description: "Health, readiness and instance information" }],
    },
    transform: jsonSchemaTransform,
  });
}

export function openApiRoute(app: HttpsApp): void {
  app.get(
    "/api/openapi.json",
    { schema: { summary: "This document", tags: ["system"], hide: false } },
    async (_request, reply) => reply.header("cache-control", "no-cache").send(app.swagger()),
  );
}
