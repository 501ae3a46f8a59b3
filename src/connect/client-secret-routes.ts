import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { Kysely } from "kysely";
import { z } from "zod";
import type { AuditSink } from "../audit/audit-sink.js";
import type { DB } from "../db/schema.js";
import { requireActor } from "../identity/authentication.js";
import { findUser } from "../identity/users-repo.js";
import { AppError } from "../platform/errors.js";
import type { ClientSecretRotation } from "./client-secret-rotation.js";

export interface ClientSecretRoutesDeps {
  db: Kysely<DB>;
  audit: AuditSink;
  /** Null when no SP-API client is wired. */
  rotation: Pick<ClientSecretRotation, "accept" | "age"> | null;
}

/**
 * The ingestion endpoint for Amazon's APPLICATION_OAUTH_CLIENT_NEW_SECRET notification (an operator or a relay
 * from the notification queue posts it here). Instance admins only, with a completed second factor; the body
 * is the notification itself and the secret in it is never echoed.
 */
export function clientSecretRoutes(deps: ClientSecretRoutesDeps): FastifyPluginAsyncZod {
  const rotation = () => {
    if (!deps.rotation) throw new AppError("NOT_READY", "No SP-API application is configured.");
    return deps.rotation;
  };
  const instanceAdmin = async (userId: string, action: string) => {
    const user = await findUser(deps.db, userId);
    if (user?.status === "active" && user.isInstanceAdmin) return;
    await deps.audit.record({
      action,
      actor: `user:${userId}`,
      outcome: "denied",
      target: { secret: "lwa.client_secret" },
      reason: "FORBIDDEN",
    });
    throw new AppError("FORBIDDEN");
  };
  return async (app) => {
    app.get(
      "/api/admin/client-secret",
      {
        config: { permission: "authenticated" },
        schema: {
          summary: "The LWA client secret's age against Amazon's 180-day rotation rule (instance admins)",
          tags: ["connect"],
          response: {
            200: z.object({
              status: z.enum(["ok", "warn", "overdue", "missing"]),
              ageDays: z.number().int().nullable(),
              rotateBy: z.string().max(40).nullable(),
            }),
          },
        },
      },
      async (request) => {
        await instanceAdmin(requireActor(request).userId, "client_secret.read");
        return rotation().age();
      },
    );

    app.post(
      "/api/admin/client-secret/notification",
      {
        config: { permission: "authenticated" },
        schema: {
          summary:
            "Accepts Amazon's new-client-secret notification: verified with LWA, promoted, the old secret retired",
          tags: ["connect"],
          // The notification's own shape is checked by the service; here only its size is bounded.
          body: z.record(z.string().max(100), z.unknown()),
          response: { 200: z.object({ version: z.number().int(), oldExpiresAt: z.string().max(40) }) },
        },
        bodyLimit: 64 * 1024,
      },
      async (request) => {
        const actor = requireActor(request);
        await instanceAdmin(actor.userId, "client_secret.accept");
        return rotation().accept(request.body, `user:${actor.userId}`);
      },
    );
  };
}
