import type { FastifyInstance } from "fastify";
import type { SandboxContext } from "./context.js";
import { type FaultSettings, NO_FAULTS } from "./faults.js";

const LOOPBACK = new Set(["127.0.0.1", "::1", "::ffff:127.0.0.1"]);
const COUNT_FIELDS = ["serverErrors", "throttles", "latencyMs", "malformed"] as const;

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= 1_000_000;
}

/**
 * `POST /_sandbox/faults` (loopback only): set fault counters, expire every access token, revoke a seller's
 * authorization, or grant/remove the PII role. `GET` shows the current settings; `GET /_sandbox/notifications`
 * lists notifications Amazon would have sent (e.g. the new client secret).
 */
export function registerAdminRoutes(app: FastifyInstance, ctx: SandboxContext): void {
  app.addHook("onRequest", async (request, reply) => {
    if (request.url.startsWith("/_sandbox/") && !request.url.startsWith("/_sandbox/documents/")) {
      if (!LOOPBACK.has(request.socket.remoteAddress ?? "")) {
        return reply
          .code(403)
          .send({ errors: [{ code: "Unauthorized", message: "Loopback only.", details: "" }] });
      }
    }
  });

  app.get("/_sandbox/faults", async () => ctx.faults.settings);
  app.get("/_sandbox/notifications", async () => ({ notifications: ctx.lwa.notifications }));

  app.post("/_sandbox/faults", async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const patch: Partial<FaultSettings> = {};
    for (const field of COUNT_FIELDS) {
      const value = body[field];
      if (value === undefined) continue;
      if (!isCount(value)) return reply.code(400).send({ error: `${field} must be a non-negative integer` });
      patch[field] = value;
    }
    if (body.serverErrorStatus !== undefined) {
      if (body.serverErrorStatus !== 500 && body.serverErrorStatus !== 503) {
        return reply.code(400).send({ error: "serverErrorStatus must be 500 or 503" });
      }
      patch.serverErrorStatus = body.serverErrorStatus;
    }
    const now = ctx.time.now();
    if (body.reset === true) ctx.faults.settings = { ...NO_FAULTS };
    Object.assign(ctx.faults.settings, patch);
    if (body.expireTokens === true) ctx.lwa.expireAccessTokens(now);
    for (const [field, action] of [
      ["revoke", (id: string) => ctx.lwa.revoke(id)],
      ["grantPiiRole", (id: string) => setPiiRole(ctx, id, true)],
      ["removePiiRole", (id: string) => setPiiRole(ctx, id, false)],
    ] as const) {
      const id = body[field];
      if (id === undefined) continue;
      if (typeof id !== "string" || !action(id))
        return reply.code(404).send({ error: `unknown seller for ${field}` });
    }
    return ctx.faults.settings;
  });
}

function setPiiRole(ctx: SandboxContext, sellingPartnerId: string, value: boolean): boolean {
  const seller = ctx.lwa.sellers.get(sellingPartnerId);
  if (!seller) return false;
  seller.piiRole = value;
  return true;
}
