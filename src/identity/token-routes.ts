import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { MS } from "../platform/clock.js";
import { AppError } from "../platform/errors.js";
import type { Services } from "../services.js";
import { API_TOKEN_POLICY } from "./api-tokens.js";
import { requireActor, requireSession } from "./authentication.js";

const id = z.string().min(1).max(64);
const stamp = z.string().max(40);
const tokenView = z.object({
  id,
  name: z.string().max(100),
  scopes: z.object({
    accounts: z.array(z.string().max(64)).max(API_TOKEN_POLICY.maxAccounts),
    permissions: z.array(z.string().max(64)).max(API_TOKEN_POLICY.maxPermissions),
  }),
  createdAt: stamp,
  expiresAt: stamp,
  revokedAt: stamp.nullable(),
  lastUsedAt: stamp.nullable(),
});

/** Personal API tokens: listed and revoked by their owner; created only from an MFA-verified session. */
export function tokenRoutes(deps: {
  services: Pick<Services, "modules" | "credentials">;
}): FastifyPluginAsyncZod {
  const { apiTokens } = deps.services.modules;
  const { credentials } = deps.services;
  return async (app) => {
    app.get(
      "/api/tokens",
      {
        config: { permission: "authenticated" },
        schema: {
          summary: "The caller's API tokens (never the token values)",
          tags: ["tokens"],
          response: { 200: z.object({ tokens: z.array(tokenView) }) },
        },
      },
      async (request) => ({ tokens: await apiTokens.list(requireActor(request).userId) }),
    );

    app.post(
      "/api/tokens",
      {
        config: { permission: "authenticated" },
        schema: {
          summary: "Creates a scoped, expiring API token; its value is shown once",
          tags: ["tokens"],
          body: z.object({
            name: z.string().min(1).max(100),
            accountIds: z.array(id).min(1).max(API_TOKEN_POLICY.maxAccounts),
            permissions: z.array(z.string().min(1).max(64)).min(1).max(API_TOKEN_POLICY.maxPermissions),
            ttlDays: z.number().int().min(1).max(365),
          }),
          response: {
            201: z.object({ id, token: z.string().max(64), name: z.string().max(100), expiresAt: stamp }),
          },
        },
      },
      async (request, reply) => {
        // A token must not mint tokens: it outlives sessions, and only a second factor may create one.
        if (request.credentials?.kind !== "session") throw new AppError("API_TOKEN_MFA_REQUIRED");
        const { token } = requireSession(request);
        const created = await credentials.createApiToken(token, {
          name: request.body.name,
          scopes: { accounts: request.body.accountIds, permissions: request.body.permissions },
          ttlMs: request.body.ttlDays * MS.day,
        });
        return reply.code(201).header("cache-control", "no-store").send({
          id: created.info.id,
          token: created.token,
          name: created.info.name,
          expiresAt: created.info.expiresAt,
        });
      },
    );

    app.delete(
      "/api/tokens/:id",
      {
        config: { permission: "authenticated" },
        schema: {
          summary: "Revokes one of the caller's API tokens",
          tags: ["tokens"],
          params: z.object({ id }),
        },
      },
      async (request, reply) => {
        const actor = requireActor(request);
        const label = actor.kind === "user" ? `user:${actor.userId}` : `token:${actor.tokenId}`;
        await apiTokens.revoke(actor.userId, request.params.id, label);
        return reply.code(204).send();
      },
    );
  };
}
