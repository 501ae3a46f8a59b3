import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { Kysely } from "kysely";
import { z } from "zod";
import { actorLabel } from "../access/authorize.js";
import type { AuditSink } from "../audit/audit-sink.js";
import type { Config } from "../config/config.js";
import type { DB } from "../db/schema.js";
import { requireGrant } from "../identity/authentication.js";
import type { Clock } from "../platform/clock.js";
import { AppError } from "../platform/errors.js";
import { checkGraceDays, requestAccountDeletion } from "./account-schedule.js";
import {
  DATA_TYPES,
  MAX_ACCOUNT_GRACE_DAYS,
  RETENTION_POLICY,
  RETENTION_POLICY_VERSION,
} from "./retention-policy.js";
import {
  createLegalHold,
  type DeletionRequest,
  type LegalHold,
  listDeletionRequests,
  listLegalHolds,
  releaseLegalHold,
} from "./retention-repo.js";
import { renderSecurityPage } from "./security-page.js";

export interface RetentionRoutesDeps {
  db: Kysely<DB>;
  clock: Clock;
  audit: AuditSink;
  config: Pick<Config, "security" | "retention">;
}

const id = z.string().min(1).max(64);
const time = z.string().max(40);
const accountParams = z.object({ accountId: id });
const ORDER_ID = /^[0-9A-Za-z-]{1,64}$/;

const policyView = z.object({
  type: z.enum(DATA_TYPES),
  label: z.string().max(200),
  covers: z.string().max(500),
  tables: z.array(z.string().max(64)).max(10),
  rule: z.string().max(1000),
  periodDays: z.number().int().nullable(),
  legalBasis: z.string().max(500),
  deletion: z.string().max(40),
  legalHoldApplies: z.boolean(),
});

export const holdView = z.object({
  id,
  accountId: id,
  amazonOrderId: z.string().max(64).nullable(),
  reason: z.string().max(500),
  owner: z.string().max(200),
  createdBy: z.string().max(200),
  createdAt: time,
  expiresAt: time.nullable(),
  releasedAt: time.nullable(),
  releasedBy: z.string().max(200).nullable(),
  active: z.boolean(),
});

const requestView = z.object({
  id,
  accountId: id,
  kind: z.enum(["request", "revocation", "closure"]),
  status: z.enum(["scheduled", "completed", "cancelled"]),
  requestedBy: z.string().max(200),
  requestedAt: time,
  executeAfter: time,
  deadline: time,
  remindersSent: z.number().int(),
  completedAt: time.nullable(),
  cancelledAt: time.nullable(),
  receiptId: z.string().max(64).nullable(),
  receiptHash: z.string().max(64).nullable(),
});

const holdOut = (h: LegalHold) => h;
const requestOut = (r: DeletionRequest) => r;

/**
 * The retention policy (read), legal holds (account:manage), deletion requests (account:delete), and the
 * public /security page rendered from the same policy table the purge runs on.
 */
export function retentionRoutes(deps: RetentionRoutesDeps): FastifyPluginAsyncZod {
  const { db, clock, audit } = deps;
  const graceDays = checkGraceDays(deps.config.retention?.accountGraceDays ?? MAX_ACCOUNT_GRACE_DAYS);
  return async (app) => {
    app.get(
      "/security",
      {
        config: { permission: "public" },
        schema: {
          summary: "The public Data & Security page, rendered from the live retention policy",
          tags: ["system"],
          produces: ["text/html"],
          response: { 200: z.string().max(100_000) },
        },
      },
      async (_request, reply) =>
        reply
          .type("text/html; charset=utf-8")
          .header("cache-control", "public, max-age=300")
          .send(
            renderSecurityPage({
              securityContact: deps.config.security.contact,
              accountGraceDays: graceDays,
            }),
          ),
    );

    app.get(
      "/api/retention/policy",
      {
        config: { permission: "authenticated" },
        schema: {
          summary: "The retention policy: every data type with its rule, period and legal basis",
          tags: ["retention"],
          response: {
            200: z.object({
              version: z.string().max(40),
              accountGraceDays: z.number().int(),
              dataTypes: z.array(policyView).max(DATA_TYPES.length),
            }),
          },
        },
      },
      async () => ({
        version: RETENTION_POLICY_VERSION,
        accountGraceDays: graceDays,
        dataTypes: RETENTION_POLICY.map((p) => ({ ...p, tables: [...p.tables] })),
      }),
    );

    app.get(
      "/api/accounts/:accountId/legal-holds",
      {
        config: { permission: "account:manage" },
        schema: {
          summary: "Legal holds on the seller account (active and past)",
          tags: ["retention"],
          params: accountParams,
          response: { 200: z.object({ holds: z.array(holdView).max(500) }) },
        },
      },
      async (request) => {
        const grant = requireGrant(request);
        return { holds: (await listLegalHolds(db, grant.accountId, clock.now())).map(holdOut) };
      },
    );

    app.post(
      "/api/accounts/:accountId/legal-holds",
      {
        config: { permission: "account:manage" },
        schema: {
          summary:
            "Places a legal hold on the account or one order: its data is kept past its retention period",
          tags: ["retention"],
          params: accountParams,
          body: z.object({
            amazonOrderId: z.string().regex(ORDER_ID).max(64).optional(),
            reason: z.string().trim().min(3).max(500),
            owner: z.string().trim().min(1).max(200),
            expiresAt: z.iso.datetime({ offset: true }).max(40).optional(),
          }),
          response: { 201: holdView },
        },
      },
      async (request, reply) => {
        const grant = requireGrant(request);
        const now = clock.now();
        const expiresAt = request.body.expiresAt ? new Date(request.body.expiresAt).toISOString() : null;
        if (expiresAt !== null && expiresAt <= now.toISOString())
          throw new AppError("VALIDATION_FAILED", "A legal hold must expire in the future.");
        const actor = actorLabel(grant.actor);
        const hold = await createLegalHold(
          db,
          {
            accountId: grant.accountId,
            amazonOrderId: request.body.amazonOrderId ?? null,
            reason: request.body.reason,
            owner: request.body.owner,
            createdBy: actor,
            expiresAt,
          },
          now,
        );
        await audit.record({
          action: "retention.legal_hold.create",
          actor,
          outcome: "success",
          target: {
            account: grant.accountId,
            hold: hold.id,
            scope: hold.amazonOrderId === null ? "account" : "order",
            ...(hold.amazonOrderId ? { order: hold.amazonOrderId } : {}),
          },
          requestId: request.id,
        });
        return reply.code(201).send(holdOut(hold));
      },
    );

    app.delete(
      "/api/accounts/:accountId/legal-holds/:holdId",
      {
        config: { permission: "account:manage" },
        schema: {
          summary: "Releases a legal hold: the data it kept follows its retention rule again",
          tags: ["retention"],
          params: z.object({ accountId: id, holdId: id }),
          response: { 204: z.null() },
        },
      },
      async (request, reply) => {
        const grant = requireGrant(request);
        const actor = actorLabel(grant.actor);
        if (!(await releaseLegalHold(db, grant.accountId, request.params.holdId, actor, clock.now())))
          throw new AppError("LEGAL_HOLD_NOT_FOUND");
        await audit.record({
          action: "retention.legal_hold.release",
          actor,
          outcome: "success",
          target: { account: grant.accountId, hold: request.params.holdId },
          requestId: request.id,
        });
        return reply.code(204).send(null);
      },
    );

    app.post(
      "/api/accounts/:accountId/deletion-request",
      {
        config: { permission: "account:delete" },
        schema: {
          summary:
            "Asks for deletion of all data of the seller account (carried out by the next retention run)",
          tags: ["retention"],
          params: accountParams,
          response: { 201: requestView },
        },
      },
      async (request, reply) => {
        const grant = requireGrant(request);
        const created = await requestAccountDeletion(
          { db, audit },
          grant.accountId,
          actorLabel(grant.actor),
          clock.now(),
        );
        return reply.code(201).send(requestOut(created));
      },
    );

    app.get(
      "/api/accounts/:accountId/deletion-request",
      {
        config: { permission: "account:delete" },
        schema: {
          summary:
            "Deletion requests and scheduled deletions of the seller account, with status and deadline",
          tags: ["retention"],
          params: accountParams,
          response: { 200: z.object({ requests: z.array(requestView).max(100) }) },
        },
      },
      async (request) => {
        const grant = requireGrant(request);
        return { requests: (await listDeletionRequests(db, grant.accountId)).map(requestOut) };
      },
    );
  };
}
