import type { Kysely } from "kysely";
import type { AuditSink } from "../audit/audit-sink.js";
import type { FieldCipher } from "../crypto/field-cipher.js";
import type { DB } from "../db/schema.js";
import { type Clock, MS } from "../platform/clock.js";
import { AppError } from "../platform/errors.js";
import { newId } from "../platform/ids.js";
import { type AccessGrant, type Actor, type Authorizer, actorLabel } from "./authorize.js";

/** Why someone may see a buyer's name and address: a fixed list, so the audit log can be read by rule. */
export const REVEAL_PURPOSES = [
  "ship_order",
  "customer_service",
  "tax_invoice",
  "return_processing",
] as const;
export type RevealPurpose = (typeof REVEAL_PURPOSES)[number];

/** Long enough to finish one shipment or one customer conversation; short enough to not become a habit. */
export const REVEAL_TTL_MS = 15 * MS.minute;
export const REVEAL_NOTE_MAX = 200;

export interface RevealRequest {
  accountId: string;
  orderId: string;
  purpose: unknown;
  note?: string | null;
}

export interface RevealGrant {
  id: string;
  accountId: string;
  orderId: string;
  purpose: RevealPurpose;
  grantedAt: string;
  expiresAt: string;
}

export interface PiiReveal {
  /** Authorizes orders:read_pii, checks the purpose, records a time-boxed grant for one order, audits it. */
  grant(db: Kysely<DB>, actor: Actor, request: RevealRequest): Promise<RevealGrant>;
  /**
   * For the orders read path: re-authorizes (a role removed since the grant ends it at once) and returns
   * the live grant for this order, or throws REVEAL_PURPOSE_REQUIRED / REVEAL_EXPIRED. The caller still
   * checks that the order is an FBM order and writes the audit entry of the read itself.
   */
  checkReveal(
    db: Kysely<DB>,
    actor: Actor,
    accountId: string,
    orderId: string,
  ): Promise<{ access: AccessGrant; grant: RevealGrant }>;
  /**
   * The live grant of this user for this order, or null; no refusal is audited (the order page asks on
   * every view whether to show buyer data). The caller has authorized orders:read_pii already.
   */
  liveReveal(db: Kysely<DB>, userId: string, accountId: string, orderId: string): Promise<RevealGrant | null>;
}

export interface PiiRevealDeps {
  authorizer: Pick<Authorizer, "authorize">;
  fields: Pick<FieldCipher, "seal">;
  audit: AuditSink;
  clock: Clock;
}

const ORDER_ID = /^[A-Za-z0-9-]{1,64}$/;

function isPurpose(value: unknown): value is RevealPurpose {
  return typeof value === "string" && (REVEAL_PURPOSES as readonly string[]).includes(value);
}

export function createPiiReveal(deps: PiiRevealDeps): PiiReveal {
  const { authorizer, fields, audit, clock } = deps;

  async function refuse(
    actor: Actor,
    accountId: string,
    orderId: string,
    code: "REVEAL_PURPOSE_REQUIRED" | "REVEAL_EXPIRED",
  ) {
    await audit.record({
      action: "pii.reveal",
      actor: actorLabel(actor),
      outcome: "denied",
      target: { account: accountId, order: ORDER_ID.test(orderId) ? orderId : "(malformed)" },
      reason: code,
    });
    return new AppError(code);
  }

  async function latest(db: Kysely<DB>, userId: string, accountId: string, orderId: string) {
    const rows = await db
      .selectFrom("pii_reveal_grants")
      .select(["id", "purpose", "granted_at", "expires_at"])
      .where("user_id", "=", userId)
      .where("seller_account_id", "=", accountId)
      .where("order_id", "=", orderId)
      .orderBy("expires_at", "desc")
      .limit(1)
      .execute();
    return rows[0];
  }

  function toGrant(
    row: { id: string; purpose: RevealPurpose; granted_at: string; expires_at: string },
    accountId: string,
    orderId: string,
  ): RevealGrant {
    return {
      id: row.id,
      accountId,
      orderId,
      purpose: row.purpose,
      grantedAt: row.granted_at,
      expiresAt: row.expires_at,
    };
  }

  return {
    async liveReveal(db, userId, accountId, orderId) {
      const row = await latest(db, userId, accountId, orderId);
      if (!row || row.expires_at <= clock.now().toISOString() || !isPurpose(row.purpose)) return null;
      return toGrant({ ...row, purpose: row.purpose }, accountId, orderId);
    },

    async grant(db, actor, request) {
      const access = await authorizer.authorize(db, actor, "orders:read_pii", request.accountId);
      if (!ORDER_ID.test(request.orderId)) {
        throw new AppError("VALIDATION_FAILED", undefined, { details: { field: "orderId" } });
      }
      if (!isPurpose(request.purpose)) {
        throw await refuse(actor, access.accountId, request.orderId, "REVEAL_PURPOSE_REQUIRED");
      }
      const note = request.note?.trim() ? request.note.trim() : null;
      if (note !== null && note.length > REVEAL_NOTE_MAX) {
        throw new AppError("VALIDATION_FAILED", undefined, {
          details: { field: "note", max: REVEAL_NOTE_MAX },
        });
      }
      const now = clock.now();
      const grant: RevealGrant = {
        id: newId(),
        accountId: access.accountId,
        orderId: request.orderId,
        purpose: request.purpose,
        grantedAt: now.toISOString(),
        expiresAt: new Date(now.getTime() + REVEAL_TTL_MS).toISOString(),
      };
      const sealedNote =
        note === null
          ? null
          : await fields.seal(
              { accountId: grant.accountId, table: "pii_reveal_grants", column: "note", rowId: grant.id },
              note,
            );
      await db
        .insertInto("pii_reveal_grants")
        .values({
          id: grant.id,
          user_id: access.userId,
          seller_account_id: grant.accountId,
          order_id: grant.orderId,
          purpose: grant.purpose,
          note: sealedNote,
          granted_at: grant.grantedAt,
          expires_at: grant.expiresAt,
        })
        .execute();
      // The note stays out of the audit log: it is free text and may name the buyer.
      await audit.record({
        action: "pii.reveal",
        actor: actorLabel(actor),
        outcome: "success",
        target: {
          account: grant.accountId,
          order: grant.orderId,
          purpose: grant.purpose,
          grant: grant.id,
          expires: grant.expiresAt,
        },
      });
      return grant;
    },

    async checkReveal(db, actor, accountId, orderId) {
      const access = await authorizer.authorize(db, actor, "orders:read_pii", accountId);
      const now = clock.now().toISOString();
      const row = await latest(db, access.userId, accountId, orderId);
      if (!row) throw await refuse(actor, accountId, orderId, "REVEAL_PURPOSE_REQUIRED");
      if (row.expires_at <= now || !isPurpose(row.purpose)) {
        throw await refuse(actor, accountId, orderId, "REVEAL_EXPIRED");
      }
      return { access, grant: toGrant({ ...row, purpose: row.purpose }, accountId, orderId) };
    },
  };
}
