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
      tags: [
        { name: "system", description: "Health, readiness and instance information" },
        { name: "auth", description: "Sign-in, second factors, enrollment, sessions, invitations" },
        { name: "accounts", description: "Seller accounts visible to the caller" },
        { name: "team", description: "Roles and invitations on a seller account" },
        { name: "tokens", description: "Personal API tokens" },
        { name: "access-review", description: "Quarterly access review" },
        { name: "audit", description: "The tamper-evident audit log" },
      ],
      components: {
        securitySchemes: {
          session: { type: "apiKey", in: "cookie", name: "__Host-sp_session" },
          apiToken: { type: "http", scheme: "bearer", description: "Personal API token (spt_...)" },
        },
      },
    },
    transform: jsonSchemaTransform,
  });
}

export function openApiRoute(app: HttpsApp): void {
  app.get(
    "/api/openapi.json",
    { config: { permission: "public" }, schema: { summary: "This document", tags: ["system"], hide: false } },
    async (_request, reply) => reply.header("cache-control", "no-cache").send(app.swagger()),
  );
}
