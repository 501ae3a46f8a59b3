import type { FastifyRequest } from "fastify";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { Kysely } from "kysely";
import { z } from "zod";
import type { DB } from "../db/schema.js";
import { AppError } from "../platform/errors.js";
import type { AuditSink } from "./audit-sink.js";
import { verifyAuditLog } from "./audit-verify.js";

const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/;
const instant = z
  .string()
  .max(40)
  .regex(ISO)
  .refine((v) => !Number.isNaN(Date.parse(v)))
  .transform((v) => new Date(v).toISOString());

const query = z.object({
  since: instant.optional(),
  until: instant.optional(),
  action: z.string().max(100).optional(),
  actor: z.string().max(200).optional(),
  account: z
    .string()
    .max(64)
    .regex(/^[A-Za-z0-9_-]+$/)
    .optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(20).regex(/^\d+$/).optional(),
});

const entryView = z.object({
  seq: z.number().int(),
  id: z.string().max(64),
  at: z.string().max(40),
  actor: z.string().max(200),
  action: z.string().max(100),
  outcome: z.string().max(16),
  target: z.record(z.string().max(64), z.string().max(256)),
  requestId: z.string().max(64).nullable(),
  reason: z.string().max(200).nullable(),
});

/**
 * Who may read which entries: everything (an instance admin), or only entries that name one of the listed
 * seller accounts (those on which the caller holds `audit:read`). The log is instance-wide: without this
 * filter one organisation's owner would read another's trail. Supplied by the identity layer (the audit
 * module sits below features and knows no users).
 */
export type AuditReadScope = { actor: string } & ({ all: true } | { accounts: string[] });

export function auditRoutes(deps: {
  db: Kysely<DB>;
  audit: AuditSink;
  /** Resolves the signed-in caller's scope (the route declares `authenticated`, so there is one). */
  scope: (request: FastifyRequest) => Promise<AuditReadScope>;
  /** The instance's audit signing key (SPKI base64): only its signatures count when verifying. */
  trustedPublicKeys: readonly string[];
}): FastifyPluginAsyncZod {
  const { db, audit } = deps;

  async function refuse(actor: string, action: string): Promise<AppError> {
    await audit.record({
      action,
      actor,
      outcome: "denied",
      reason: "FORBIDDEN",
    });
    return new AppError("FORBIDDEN");
  }

  return async (app) => {
    app.get(
      "/api/audit",
      {
        config: { permission: "authenticated" },
        schema: {
          summary: "Audit entries, newest first, filtered; page with nextCursor",
          tags: ["audit"],
          querystring: query,
          response: {
            200: z.object({ entries: z.array(entryView), nextCursor: z.string().max(20).nullable() }),
          },
        },
      },
      async (request, reply) => {
        const scope = await deps.scope(request);
        const { actor } = scope;
        const q = request.query;
        let accounts: string[] | null = "all" in scope ? null : scope.accounts;
        if (q.account) {
          if (accounts && !accounts.includes(q.account)) throw await refuse(actor, "audit.read");
          accounts = [q.account];
        }
        if (accounts && accounts.length === 0) throw await refuse(actor, "audit.read");
        let select = db
          .selectFrom("audit_entries")
          .selectAll()
          .orderBy("seq", "desc")
          .limit(q.limit + 1);
        if (q.cursor) select = select.where("seq", "<", Number(q.cursor));
        if (q.since) select = select.where("at", ">=", q.since);
        if (q.until) select = select.where("at", "<", q.until);
        if (q.action) select = select.where("action", "=", q.action);
        if (q.actor) select = select.where("actor", "=", q.actor);
        if (accounts) {
          // Targets are canonical JSON: an account id appears exactly as "account":"<id>" (ids have no quotes).
          const patterns = accounts.map((a) => `%"account":"${a}"%`);
          select = select.where((eb) => eb.or(patterns.map((p) => eb("target", "like", p))));
        }
        const rows = await select.execute();
        const page = rows.slice(0, q.limit);
        const last = page.at(-1);
        reply.header("cache-control", "no-store");
        return {
          entries: page.map((r) => ({
            seq: Number(r.seq),
            id: r.id,
            at: r.at,
            actor: r.actor,
            action: r.action,
            outcome: r.outcome,
            target: JSON.parse(r.target) as Record<string, string>,
            requestId: r.request_id,
            reason: r.reason,
          })),
          nextCursor: rows.length > q.limit && last ? String(last.seq) : null,
        };
      },
    );

    app.post(
      "/api/audit/verify",
      {
        config: { permission: "authenticated" },
        schema: {
          summary: "Walks the hash chain and the signed checkpoints; reports the first problem",
          tags: ["audit"],
          response: {
            200: z.object({
              valid: z.boolean(),
              checkedEntries: z.number().int(),
              problem: z
                .object({ kind: z.string().max(32), seq: z.number().int(), message: z.string().max(500) })
                .optional(),
            }),
          },
        },
      },
      async (request) => {
        const scope = await deps.scope(request);
        const { actor } = scope;
        if (!("all" in scope) && scope.accounts.length === 0) throw await refuse(actor, "audit.verify");
        const result = await verifyAuditLog(db, { trustedPublicKeys: deps.trustedPublicKeys });
        await audit.record({
          action: "audit.verify",
          actor,
          outcome: result.valid ? "success" : "failure",
          ...(result.valid
            ? {}
            : { reason: result.problem.kind, target: { seq: String(result.problem.seq) } }),
        });
        return result.valid
          ? { valid: true, checkedEntries: result.entries }
          : {
              valid: false,
              checkedEntries: result.entriesChecked,
              problem: {
                kind: result.problem.kind,
                seq: result.problem.seq,
                message: result.problem.message,
              },
            };
      },
    );
  };
}
