import { createHash, randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import type { Actor, Authorizer } from "../access/authorize.js";
import { canGrant, parseRole } from "../access/roles.js";
import type { AuditSink } from "../audit/audit-sink.js";
import type { DB } from "../db/schema.js";
import { type Clock, MS } from "../platform/clock.js";
import { AppError } from "../platform/errors.js";
import { newId } from "../platform/ids.js";
import {
  findInvitationByTokenHash,
  type Invitation,
  insertInvitation,
  markInvitationAccepted,
} from "./invitations-repo.js";
import { findMembership, putMembership } from "./memberships-repo.js";
import { organisationOfAccount } from "./organisations-repo.js";
import { createUser, findUserByEmail, isGenericAddress, normalizeEmail, type User } from "./users-repo.js";

export const INVITATION_TTL_MS = 72 * MS.hour;

/** 256 random bits, base64url: anything else is refused before the store is asked. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** A high-entropy token needs no slow hash: SHA-256 makes a leaked table useless for accepting. */
export function hashInvitationToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** The CLI runs with shell access and the master key: it is trusted as an operator, and audited as one. */
export interface Operator {
  kind: "operator";
  name: string;
}

export type Principal = Actor | Operator;

export function principalLabel(p: Principal): string {
  if (p.kind === "operator") return `operator:${p.name}`;
  return p.kind === "user" ? `user:${p.userId}` : `token:${p.tokenId}`;
}

export interface InvitationsDeps {
  db: Kysely<DB>;
  clock: Clock;
  audit: AuditSink;
  authorizer: Pick<Authorizer, "authorize">;
}

export interface IssuedInvitation {
  invitation: Invitation;
  /** Shown once (put it in the invitation link); only its hash is stored. */
  token: string;
}

export function createInvitations(deps: InvitationsDeps) {
  const { db, clock, audit, authorizer } = deps;

  async function deny(by: Principal, action: string, reason: string, target: Record<string, string>) {
    await audit.record({ action, actor: principalLabel(by), outcome: "denied", target, reason });
  }

  return {
    async invite(
      by: Principal,
      input: { accountId: string; email: string; role: string },
    ): Promise<IssuedInvitation> {
      const role = parseRole(input.role);
      if (by.kind !== "operator") {
        const grant = await authorizer.authorize(db, by, "team:manage", input.accountId);
        if (!canGrant(grant.permissions, role)) {
          await deny(by, "invitation.create", "ROLE_ESCALATION", { account: input.accountId, role });
          throw new AppError("ROLE_ESCALATION");
        }
      }
      const organisationId = await organisationOfAccount(db, input.accountId);
      if (organisationId === null) throw new AppError("ACCOUNT_NOT_FOUND");
      const email = normalizeEmail(input.email);
      if (isGenericAddress(email)) throw new AppError("EMAIL_GENERIC");
      const token = randomBytes(32).toString("base64url");
      const now = clock.now();
      const invitation = await insertInvitation(db, {
        id: newId(),
        organisation_id: organisationId,
        seller_account_id: input.accountId,
        email,
        role,
        token_hash: hashInvitationToken(token),
        invited_by: principalLabel(by),
        created_at: now.toISOString(),
        expires_at: new Date(now.getTime() + INVITATION_TTL_MS).toISOString(),
        accepted_at: null,
        accepted_user_id: null,
      });
      await audit.record({
        action: "invitation.create",
        actor: principalLabel(by),
        outcome: "success",
        target: { invitation: invitation.id, account: invitation.accountId, role },
      });
      return { invitation, token };
    },

    /**
     * Accepts an invitation: creates the invited person's user (or reuses theirs in the same organisation)
     * and grants the role. Single use and expiring; every refusal is audited and changes nothing.
     */
    async accept(
      token: string,
      input: { displayName: string },
    ): Promise<{ user: User; invitation: Invitation }> {
      const invitation = TOKEN_SHAPE.test(token)
        ? await findInvitationByTokenHash(db, hashInvitationToken(token))
        : null;
      const refuse = async (
        code:
          | "INVITATION_INVALID"
          | "INVITATION_USED"
          | "INVITATION_EXPIRED"
          | "EMAIL_TAKEN"
          | "USER_DISABLED",
      ) => {
        await audit.record({
          action: "invitation.accept",
          actor: "anonymous",
          outcome: "denied",
          ...(invitation ? { target: { invitation: invitation.id } } : {}),
          reason: code,
        });
        return new AppError(code);
      };
      if (!invitation) throw await refuse("INVITATION_INVALID");
      if (invitation.acceptedAt !== null) throw await refuse("INVITATION_USED");
      const now = clock.now();
      if (invitation.expiresAt <= now.toISOString()) throw await refuse("INVITATION_EXPIRED");
      if ((await organisationOfAccount(db, invitation.accountId)) !== invitation.organisationId) {
        throw await refuse("INVITATION_INVALID");
      }
      const existing = await findUserByEmail(db, invitation.email);
      if (existing && existing.organisationId !== invitation.organisationId)
        throw await refuse("EMAIL_TAKEN");
      if (existing && existing.status !== "active") throw await refuse("USER_DISABLED");
      const user = await db.transaction().execute(async (trx) => {
        const u =
          existing ??
          (await createUser(
            trx,
            {
              organisationId: invitation.organisationId,
              email: invitation.email,
              displayName: input.displayName,
            },
            now,
          ));
        if (!(await markInvitationAccepted(trx, invitation.id, u.id, now))) {
          throw new AppError("INVITATION_USED");
        }
        // Someone who already holds a role keeps it: role changes go through grantRole and its checks
        // (an invitation must not quietly demote the last owner).
        if (!(await findMembership(trx, u.id, invitation.accountId))) {
          await putMembership(
            trx,
            {
              userId: u.id,
              accountId: invitation.accountId,
              role: invitation.role,
              grantedBy: invitation.invitedBy,
            },
            now,
          );
        }
        return u;
      });
      await audit.record({
        action: "invitation.accept",
        actor: `user:${user.id}`,
        outcome: "success",
        target: {
          invitation: invitation.id,
          user: user.id,
          account: invitation.accountId,
          role: invitation.role,
        },
      });
      return { user, invitation: { ...invitation, acceptedAt: now.toISOString(), acceptedUserId: user.id } };
    },
  };
}

export type Invitations = ReturnType<typeof createInvitations>;
