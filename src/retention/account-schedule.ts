import type { Kysely } from "kysely";
import { type AccountDeletionDeps, deleteSellerAccount } from "../accounts/account-deletion.js";
import type { AuditSink } from "../audit/audit-sink.js";
import type { DB } from "../db/schema.js";
import { MS } from "../platform/clock.js";
import { AppError } from "../platform/errors.js";
import type { Holds } from "./buyer-pii-purge.js";
import { daysAfter, MAX_ACCOUNT_GRACE_DAYS, REQUEST_DEADLINE_DAYS } from "./retention-policy.js";
import {
  type DeletionRequest,
  insertDeletionRequest,
  openDeletionRequest,
  scheduledDeletionRequests,
  updateDeletionRequest,
} from "./retention-repo.js";

/** Reminders go out this many days before a scheduled deletion (audit events, and `retention status`). */
export const REMINDER_DAYS = [30, 7, 1] as const;

/** Accounts whose authorization was revoked or that were closed: when their grace period started. */
async function endedAccounts(db: Kysely<DB>) {
  const rows = await db
    .selectFrom("seller_accounts")
    .select(["id", "status", "revoked_at", "updated_at"])
    .where("status", "in", ["authorization_revoked", "closed"])
    .execute();
  return rows.map((r) => ({
    id: r.id,
    kind: r.status === "closed" ? ("closure" as const) : ("revocation" as const),
    since: r.status === "authorization_revoked" ? (r.revoked_at ?? r.updated_at) : r.updated_at,
  }));
}

export function checkGraceDays(days: number): number {
  if (!Number.isInteger(days) || days < 0 || days > MAX_ACCOUNT_GRACE_DAYS)
    throw new AppError(
      "VALIDATION_FAILED",
      `The account deletion grace period must be 0-${MAX_ACCOUNT_GRACE_DAYS} days.`,
    );
  return days;
}

/**
 * Brings the schedule in line with the accounts: a revoked or closed account without an open request gets
 * one (deleted `graceDays` after it ended, at the latest 90 days after); a revocation whose account was
 * re-authorized since is cancelled. Returns what changed.
 */
export async function reconcileSchedules(
  deps: { db: Kysely<DB>; audit: AuditSink },
  at: Date,
  graceDays: number,
): Promise<{ scheduled: number; cancelled: number }> {
  const { db, audit } = deps;
  let scheduled = 0;
  let cancelled = 0;
  for (const account of await endedAccounts(db)) {
    if (await openDeletionRequest(db, account.id)) continue;
    const request = await insertDeletionRequest(
      db,
      {
        accountId: account.id,
        kind: account.kind,
        requestedBy: "retention",
        executeAfter: daysAfter(account.since, graceDays),
        deadline: daysAfter(account.since, MAX_ACCOUNT_GRACE_DAYS),
      },
      at,
    );
    scheduled += 1;
    await audit.record({
      action: "retention.account_deletion.scheduled",
      actor: "retention",
      outcome: "success",
      target: {
        account: account.id,
        request: request.id,
        executeAfter: request.executeAfter,
        kind: account.kind,
      },
    });
  }
  for (const request of await scheduledDeletionRequests(db)) {
    if (request.kind === "request") continue;
    const row = await db
      .selectFrom("seller_accounts")
      .select("status")
      .where("id", "=", request.accountId)
      .executeTakeFirst();
    if (row?.status !== "active") continue;
    if (
      await updateDeletionRequest(db, request.id, { status: "cancelled", cancelled_at: at.toISOString() }, at)
    ) {
      cancelled += 1;
      await audit.record({
        action: "retention.account_deletion.cancelled",
        actor: "retention",
        outcome: "success",
        target: { account: request.accountId, request: request.id },
        reason: "REAUTHORIZED",
      });
    }
  }
  return { scheduled, cancelled };
}

function remindersDue(request: DeletionRequest, at: Date): number {
  const executeAt = Date.parse(request.executeAfter);
  if (at.getTime() >= executeAt) return request.remindersSent;
  return REMINDER_DAYS.filter((d) => at.getTime() >= executeAt - d * MS.day).length;
}

export interface AccountDeletionOutcome {
  deleted: number;
  held: number;
  reminders: number;
  receipts: string[];
  /** The signal ended the pass before every due deletion was carried out (the next run does the rest). */
  stopped: boolean;
}

/**
 * Sends due reminders and carries out every scheduled deletion whose time has come (unless held). An abort
 * stops it between accounts: a deletion, once begun, finishes.
 */
export async function executeSchedules(
  deps: AccountDeletionDeps,
  at: Date,
  holds: Holds,
  signal?: AbortSignal,
): Promise<AccountDeletionOutcome> {
  const { database, audit } = deps;
  const db = database.db;
  const out: AccountDeletionOutcome = { deleted: 0, held: 0, reminders: 0, receipts: [], stopped: false };
  for (const request of await scheduledDeletionRequests(db)) {
    if (signal?.aborted) {
      out.stopped = true;
      break;
    }
    const due = remindersDue(request, at);
    if (due > request.remindersSent) {
      await updateDeletionRequest(db, request.id, { reminders_sent: due }, at);
      out.reminders += 1;
      const daysLeft = Math.ceil((Date.parse(request.executeAfter) - at.getTime()) / MS.day);
      await audit.record({
        action: "retention.account_deletion.reminder",
        actor: "retention",
        outcome: "success",
        target: { account: request.accountId, request: request.id, daysLeft: String(daysLeft) },
      });
    }
    if (request.executeAfter > at.toISOString()) continue;
    if (holds.accounts.has(request.accountId)) {
      out.held += 1;
      continue;
    }
    const exists = await db
      .selectFrom("seller_accounts")
      .select("id")
      .where("id", "=", request.accountId)
      .executeTakeFirst();
    if (!exists) {
      // Deleted by other means (`account delete`): nothing left to do, and nothing to show for it here.
      await updateDeletionRequest(
        db,
        request.id,
        { status: "completed", completed_at: at.toISOString() },
        at,
      );
      continue;
    }
    const receipt = await deleteSellerAccount(deps, request.accountId, `retention:${request.kind}`);
    await updateDeletionRequest(
      db,
      request.id,
      {
        status: "completed",
        completed_at: at.toISOString(),
        receipt_id: receipt.id,
        receipt_hash: receipt.receiptHash,
      },
      at,
    );
    out.deleted += 1;
    out.receipts.push(receipt.receiptHash);
  }
  return out;
}

/**
 * An owner's request to delete all data of a seller account: carried out by the next retention run,
 * promised within REQUEST_DEADLINE_DAYS. A pending revocation schedule is replaced by it.
 */
export async function requestAccountDeletion(
  deps: { db: Kysely<DB>; audit: AuditSink },
  accountId: string,
  actor: string,
  at: Date,
): Promise<DeletionRequest> {
  const { db, audit } = deps;
  const open = await openDeletionRequest(db, accountId);
  if (open?.kind === "request") throw new AppError("DELETION_REQUEST_EXISTS");
  if (open)
    await updateDeletionRequest(db, open.id, { status: "cancelled", cancelled_at: at.toISOString() }, at);
  const request = await insertDeletionRequest(
    db,
    {
      accountId,
      kind: "request",
      requestedBy: actor,
      executeAfter: at.toISOString(),
      deadline: daysAfter(at, REQUEST_DEADLINE_DAYS),
    },
    at,
  );
  await audit.record({
    action: "retention.deletion_request.create",
    actor,
    outcome: "success",
    target: { account: accountId, request: request.id, deadline: request.deadline },
  });
  return request;
}
