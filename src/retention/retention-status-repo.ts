import { type ExpressionBuilder, type Kysely, sql } from "kysely";
import type { DB } from "../db/schema.js";
import { MS } from "../platform/clock.js";
import { countBuyerPii, type Holds } from "./buyer-pii-purge.js";
import { countExpiring, type ExpiringType } from "./data-expiry.js";
import {
  DATA_TYPES,
  type DataType,
  daysAfter,
  daysBefore,
  MAX_ACCOUNT_GRACE_DAYS,
  UNDELIVERED_PII_DAYS,
} from "./retention-policy.js";
import { activeHolds, type DeletionRequest } from "./retention-repo.js";

export interface AccountTypeCounts {
  type: DataType;
  /** Null where the type is not kept per seller account (logs are not stored; the audit log is per instance). */
  records: number | null;
  overdue: number | null;
  held: number | null;
}

const EXPIRING: readonly ExpiringType[] = ["order_data", "inventory_data", "pricing_data", "financial_data"];

/** Per data type of the policy table: the account's records, what is overdue and what a hold keeps. */
export async function accountDataTypeCounts(
  db: Kysely<DB>,
  accountId: string,
  at: Date,
  /** When the account's own deletion (requested or scheduled) may run; null when none is open. */
  deletionAfter: string | null,
): Promise<AccountTypeCounts[]> {
  // The same counters (and so the same "is it due" rule) as `retention status`, narrowed to this account:
  // nothing of another account is read, and the cost follows this account's rows.
  const all = await activeHolds(db, at);
  const accountHeld = all.accounts.has(accountId);
  const holds: Holds = { accounts: accountHeld ? new Set([accountId]) : new Set(), orders: all.orders };
  const out: AccountTypeCounts[] = [];
  for (const type of DATA_TYPES) {
    if (type === "buyer_pii") {
      const { records, overdue, held } = await countBuyerPii(db, at, holds, accountId);
      out.push({ type, records, overdue, held });
    } else if ((EXPIRING as readonly string[]).includes(type)) {
      const counts = await countExpiring(db, type as ExpiringType, at, holds, accountId);
      out.push({ type, records: counts.records, overdue: counts.overdue, held: counts.held });
    } else if (type === "account_and_contact_data") {
      const due = deletionAfter !== null && deletionAfter <= at.toISOString() ? 1 : 0;
      const held = due === 1 && accountHeld ? 1 : 0;
      out.push({ type, records: 1, overdue: due - held, held });
    } else {
      // Application logs go to standard output (never stored here); audit records are one log for the
      // instance: neither has per-account figures.
      out.push({ type, records: null, overdue: null, held: null });
    }
  }
  return out;
}

export interface ScheduledDeletion {
  reason: "revocation" | "closure";
  /** The revocation or closure the grace period counts from. */
  since: string;
  executeAfter: string;
  deadline: string;
  graceDays: number;
  /** False until a retention run has put it on the schedule (it is then a deletion request row). */
  recorded: boolean;
}

/**
 * The deletion a revoked authorization or a closure brings: the open schedule row when a retention run has
 * written one, otherwise the one the next run will write (same dates: grace from the day it ended).
 */
export async function scheduledAccountDeletion(
  db: Kysely<DB>,
  accountId: string,
  graceDays: number,
  open: DeletionRequest | null,
): Promise<ScheduledDeletion | null> {
  const account = await db
    .selectFrom("seller_accounts")
    .select(["status", "revoked_at", "updated_at"])
    .where("id", "=", accountId)
    .executeTakeFirst();
  if (!account) return null;
  const since =
    account.status === "authorization_revoked"
      ? (account.revoked_at ?? account.updated_at)
      : account.updated_at;
  if (open && open.kind !== "request")
    return {
      reason: open.kind,
      since,
      executeAfter: open.executeAfter,
      deadline: open.deadline,
      graceDays,
      recorded: true,
    };
  // An owner's deletion request replaces the schedule a revocation or closure would bring.
  if (open?.kind === "request") return null;
  if (account.status !== "authorization_revoked" && account.status !== "closed") return null;
  return {
    reason: account.status === "closed" ? "closure" : "revocation",
    since,
    executeAfter: daysAfter(since, graceDays),
    deadline: daysAfter(since, MAX_ACCOUNT_GRACE_DAYS),
    graceDays,
    recorded: false,
  };
}

export interface PurgeDay {
  day: string;
  count: number;
}

/**
 * Buyer records whose purge_after falls on each of `days` UTC days from `now`'s day on (the first counts
 * from `now`: earlier ones are overdue already). Held records are left out: they are not purged.
 */
export async function upcomingPiiPurges(
  db: Kysely<DB>,
  accountId: string,
  now: Date,
  days: number,
): Promise<PurgeDay[]> {
  const start = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const at = now.toISOString();
  const end = new Date(start + days * MS.day).toISOString();
  const series = Array.from({ length: days }, (_, i) => ({
    day: new Date(start + i * MS.day).toISOString().slice(0, 10),
    count: 0,
  }));
  if ((await activeHolds(db, now)).accounts.has(accountId)) return series;
  const day = sql<string>`substr(purge_after, 1, 10)`;
  const heldOrders = (eb: ExpressionBuilder<DB, "order_buyer_pii">) =>
    eb(
      "order_buyer_pii.order_id",
      "not in",
      eb
        .selectFrom("legal_holds")
        .select("order_row_id")
        .where("account_id", "=", accountId)
        .where("order_row_id", "is not", null)
        .where("released_at", "is", null)
        .where((h) => h.or([h("expires_at", "is", null), h("expires_at", ">", at)])),
    );
  const rows = await db
    .selectFrom("order_buyer_pii")
    .select([day.as("day"), (eb) => eb.fn.countAll<number>().as("n")])
    .where("account_id", "=", accountId)
    .where("purge_after", ">", at)
    .where("purge_after", "<", end)
    .where(heldOrders)
    .groupBy(day)
    .execute();
  const byDay = new Map(rows.map((r) => [r.day, Number(r.n)]));
  // No delivery date: the purge takes the record UNDELIVERED_PII_DAYS after the latest ship date (else the
  // purchase date), as buyer-pii-purge's dueAt says; few per account, so they are dated here.
  const since = sql<string>`coalesce(orders.latest_ship_date, orders.purchase_date)`;
  const undelivered = await db
    .selectFrom("order_buyer_pii")
    .innerJoin("orders", "orders.id", "order_buyer_pii.order_id")
    .select(since.as("since"))
    .where("order_buyer_pii.account_id", "=", accountId)
    .where("order_buyer_pii.purge_after", "is", null)
    .where(since, ">", daysBefore(now, UNDELIVERED_PII_DAYS))
    .where(since, "<", daysBefore(new Date(end), UNDELIVERED_PII_DAYS))
    .where(heldOrders)
    .execute();
  for (const r of undelivered) {
    const due = daysAfter(r.since, UNDELIVERED_PII_DAYS).slice(0, 10);
    byDay.set(due, (byDay.get(due) ?? 0) + 1);
  }
  return series.map((s) => ({ day: s.day, count: byDay.get(s.day) ?? 0 }));
}
