import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Config } from "../config/config.js";
import { isDemoMode } from "../config/config.js";
import type { Database } from "../db/database.js";
import { migrationStatus } from "../db/migrate.js";

export interface SystemRoutesDeps {
  config: Pick<Config, "lwa" | "security">;
  database: Pick<Database, "db" | "kind" | "ping">;
  version: string;
}

const readiness = z.object({
  status: z.enum(["ready", "not_ready"]),
  checks: z.object({
    database: z.object({ ok: z.boolean(), store: z.enum(["sqlite", "postgres"]) }),
    migrations: z.object({
      ok: z.boolean(),
      applied: z.number().int(),
      pending: z.array(z.string().max(128)),
    }),
  }),
});

const meta = z.object({
  product: z.literal("Seller Pilot"),
  version: z.string().max(32),
  mode: z.enum(["demo", "connected"]),
  securityContact: z.string().max(2048),
  docs: z.object({ openapi: z.string().max(64), securityTxt: z.string().max(64) }),
});

export function systemRoutes(deps: SystemRoutesDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      "/healthz",
      {
        config: { permission: "public" },
        schema: {
          summary: "Liveness: the process is up and answering",
          tags: ["system"],
          response: { 200: z.object({ status: z.literal("ok") }) },
        },
      },
      async () => ({ status: "ok" as const }),
    );

    app.get(
      "/readyz",
      {
        config: { permission: "public" },
        schema: {
          summary: "Readiness: the store answers and no migration is pending",
          tags: ["system"],
          response: { 200: readiness, 503: readiness },
        },
      },
      async (_request, reply) => {
        let databaseOk = true;
        let applied = 0;
        let pending: string[] = [];
        try {
          await deps.database.ping();
          const status = await migrationStatus(deps.database.db);
          applied = status.applied.length;
          pending = status.pending;
        } catch {
          databaseOk = false;
        }
        const ready = databaseOk && pending.length === 0;
        return reply.code(ready ? 200 : 503).send({
          status: ready ? "ready" : "not_ready",
          checks: {
            database: { ok: databaseOk, store: deps.database.kind },
            migrations: { ok: databaseOk && pending.length === 0, applied, pending },
          },
        });
      },
    );

    app.get(
      "/api/meta",
      {
        config: { permission: "public" },
        schema: {
          summary: "What this instance is: product, version, mode, security contact",
          tags: ["system"],
          response: { 200: meta },
        },
      },
      async () => ({
        product: "Seller Pilot" as const,
        version: deps.version,
        mode: isDemoMode(deps.config) ? ("demo" as const) : ("connected" as const),
        securityContact: deps.config.security.contact,
        docs: { openapi: "/api/openapi.json", securityTxt: "/.well-known/security.txt" },
      }),
    );
  };
}
