import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { Kysely } from "kysely";
import { z } from "zod";
import { actorLabel } from "../access/authorize.js";
import { ROLES } from "../access/roles.js";
import type { AuditSink } from "../audit/audit-sink.js";
import type { DB } from "../db/schema.js";
import type { Clock } from "../platform/clock.js";
import { AppError } from "../platform/errors.js";
import type { Services } from "../services.js";
import { requireActor, requireGrant } from "./authentication.js";

const id = z.string().min(1).max(64);
const accountParams = z.object({ accountId: id });
const memberParams = z.object({ accountId: id, userId: id });
const role = z.enum(ROLES);

const MAX_MEMBERS = 200;

/** One page of an account's members (the first `limit`, oldest first); shared with the API benchmark's bare handler. */
export async function listMembers(
  db: Kysely<DB>,
  clock: Clock,
  scope: { accountId: string; organisationId: string },
  limit: number,
) {
  const now = clock.now().getTime();
  const rows = await db
    .selectFrom("memberships")
    .innerJoin("users", "users.id", "memberships.user_id")
    .leftJoin("login_failures", "login_failures.user_id", "users.id")
    .select([
      "users.id",
      "users.email",
      "users.display_name",
      "users.status",
      "memberships.role",
      "login_failures.locked_until",
    ])
    .where("memberships.seller_account_id", "=", scope.accountId)
    .where("users.organisation_id", "=", scope.organisationId)
    .orderBy("users.created_at")
    .orderBy("users.id")
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    userId: r.id,
    email: r.email,
    name: r.display_name,
    role: r.role,
    status: r.status,
    locked: r.locked_until !== null && Date.parse(r.locked_until) > now,
  }));
}

/** Team management on one seller account; the identity service refuses granting above one's own rights. */
export function teamRoutes(deps: {
  db: Kysely<DB>;
  clock: Clock;
  services: Pick<Services, "identity" | "modules">;
  audit: AuditSink;
}): FastifyPluginAsyncZod {
  const { db, clock } = deps;
  const { identity } = deps.services;
  const { lockout } = deps.services.modules;
  return async (app) => {
    app.get(
      "/api/accounts/:accountId/members",
      {
        config: { permission: "team:read" },
        schema: {
          summary: "Who holds which role on the seller account",
          tags: ["team"],
          params: accountParams,
          querystring: z.object({
            limit: z.coerce.number().int().min(1).max(MAX_MEMBERS).default(MAX_MEMBERS),
          }),
          response: {
            200: z.object({
              members: z.array(
                z.object({
                  userId: id,
                  email: z.string().max(320),
                  name: z.string().max(200),
                  role: z.string().max(32),
                  status: z.enum(["active", "disabled"]),
                  /** Locked out by failed sign-ins (until the cool-down ends or a manager unlocks). */
                  locked: z.boolean(),
                }),
              ),
            }),
          },
        },
      },
      async (request) => {
        const grant = requireGrant(request);
        const members = await listMembers(db, clock, grant, request.query.limit);
        // Who holds access to a seller's data is itself access-relevant: every read is on the record.
        await deps.audit.record({
          action: "team.members.read",
          actor: actorLabel(grant.actor),
          outcome: "success",
          target: { account: grant.accountId, rows: String(members.length) },
        });
        return { members };
      },
    );

    app.post(
      "/api/accounts/:accountId/invitations",
      {
        config: { permission: "team:manage" },
        schema: {
          summary: "Invites a person by e-mail with a role (single use, expiring); the token is shown once",
          tags: ["team"],
          params: accountParams,
          body: z.object({ email: z.string().min(1).max(320), role }),
          response: {
            201: z.object({ id, expiresAt: z.string().max(40), token: z.string().max(64).optional() }),
          },
        },
      },
      async (request, reply) => {
        const issued = await identity.invite(requireActor(request), {
          accountId: request.params.accountId,
          email: request.body.email,
          role: request.body.role,
        });
        // No mail transport exists yet: the inviter passes the link on, so the token is returned this once.
        return reply
          .code(201)
          .header("cache-control", "no-store")
          .send({ id: issued.invitation.id, expiresAt: issued.invitation.expiresAt, token: issued.token });
      },
    );

    app.patch(
      "/api/accounts/:accountId/members/:userId",
      {
        config: { permission: "team:manage" },
        schema: {
          summary: "Changes a member's role (never above the caller's own rights)",
          tags: ["team"],
          params: memberParams,
          body: z.object({ role }),
          response: { 200: z.object({ userId: id, accountId: id, role: z.string().max(32) }) },
        },
      },
      async (request) => {
        const m = await identity.grantRole(requireActor(request), {
          userId: request.params.userId,
          accountId: request.params.accountId,
          role: request.body.role,
        });
        return { userId: m.userId, accountId: m.accountId, role: m.role };
      },
    );

    app.post(
      "/api/accounts/:accountId/members/:userId/unlock",
      {
        config: { permission: "team:manage" },
        schema: {
          summary: "Lifts a member's sign-in lock before the cool-down ends (audited)",
          tags: ["team"],
          params: memberParams,
        },
      },
      async (request, reply) => {
        const grant = requireGrant(request);
        // Only members of this account in the caller's organisation: anyone else is not found here.
        const member = await db
          .selectFrom("memberships")
          .innerJoin("users", "users.id", "memberships.user_id")
          .select("users.id")
          .where("memberships.seller_account_id", "=", grant.accountId)
          .where("memberships.user_id", "=", request.params.userId)
          .where("users.organisation_id", "=", grant.organisationId)
          .executeTakeFirst();
        if (!member) throw new AppError("MEMBERSHIP_NOT_FOUND");
        await lockout.unlock(member.id, actorLabel(requireActor(request)));
        return reply.code(204).send();
      },
    );

    app.delete(
      "/api/accounts/:accountId/members/:userId",
      {
        config: { permission: "team:manage" },
        schema: {
          summary: "Removes a member's role; their sessions and API tokens end at once",
          tags: ["team"],
          params: memberParams,
        },
      },
      async (request, reply) => {
        await identity.removeRole(requireActor(request), {
          userId: request.params.userId,
          accountId: request.params.accountId,
        });
        return reply.code(204).send();
      },
    );
  };
}
