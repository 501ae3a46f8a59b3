import { type Kysely, sql } from "kysely";
import type { DB } from "../db/schema.js";
import { MS } from "../platform/clock.js";
import { countBuyerPii, type Holds } from "./buyer-pii-purge.js";
import { countExpiring, type ExpiringType } from "./data-expiry.js";
import { DATA_TYPES, type DataType, daysAfter, MAX_ACCOUNT_GRACE_DAYS } from "./retention-policy.js";
import { activeHolds, type DeletionRequest } from "./retention-repo.js";

export interface AccountTypeCounts {
  type: DataType;
  /** Null where the type is not kept per seller account (audit records are one log for the instance). */
  records: number | null;
  overdue: number | null;
  held: number | null;
}

/** What the account's own rows of a type live in (the first table of the policy row, per account). */
const ACCOUNT_TABLE = {
  buyer_pii: "order_buyer_pii",
  order_data: "orders",
  inventory_data: "inventory_summaries",
  pricing_data: "prices",
  financial_data: "financial_events",
} as const;

const EXPIRING: readonly ExpiringType[] = ["order_data", "inventory_data", "pricing_data", "financial_data"];

async function countRows(
  db: Kysely<DB>,
  table: (typeof ACCOUNT_TABLE)[keyof typeof ACCOUNT_TABLE],
  accountId: string,
) {
  const { n } = await db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("account_id", "=", accountId)
    .executeTakeFirstOrThrow();
  return Number(n);
}

/**
 * The counters `retention status` uses (countBuyerPii, countExpiring) count the whole store and subtract
 * what holds keep. Treating every other account as held leaves this account's share: once with no hold of
 * its own (everything due), once with its real holds (what the next run deletes). The policy's "is it due"
 * rule so stays in one place.
 */
function scopedHolds(others: readonly string[], own: Holds, accountId: string) {
  const ownAccountHeld = own.accounts.has(accountId);
  return {
    ownAccountHeld,
    due: { accounts: new Set(others), orders: new Set<string>() } satisfies Holds,
    unheld: {
      accounts: new Set(ownAccountHeld ? [...others, accountId] : others),
      orders: own.orders,
    } satisfies Holds,
  };
}

/** Per data type of the policy table: the account's records, what is overdue and what a hold keeps. */
export async function accountDataTypeCounts(
  db: Kysely<DB>,
  accountId: string,
  at: Date,
  /** When the account's own deletion (requested or scheduled) may run; null when none is open. */
  deletionAfter: string | null,
): Promise<AccountTypeCounts[]> {
  const others = (
    await db.selectFrom("seller_accounts").select("id").where("id", "!=", accountId).execute()
  ).map((r) => r.id);
  const holds = scopedHolds(others, await activeHolds(db, at), accountId);
  const split = async (count: (h: Holds) => Promise<{ overdue: number }>) => {
    const due = (await count(holds.due)).overdue;
    const overdue = holds.ownAccountHeld || due === 0 ? 0 : (await count(holds.unheld)).overdue;
    return { overdue, held: due - overdue };
  };
  const out: AccountTypeCounts[] = [];
  for (const type of DATA_TYPES) {
    if (type === "buyer_pii") {
      const records = await countRows(db, ACCOUNT_TABLE.buyer_pii, accountId);
      out.push({ type, records, ...(await split((h) => countBuyerPii(db, at, h))) });
    } else if ((EXPIRING as readonly string[]).includes(type)) {
      const t = type as ExpiringType;
      const records = await countRows(db, ACCOUNT_TABLE[t], accountId);
      out.push({ type, records, ...(await split((h) => countExpiring(db, t, at, h))) });
    } else if (type === "account_and_contact_data") {
      const due = deletionAfter !== null && deletionAfter <= at.toISOString() ? 1 : 0;
      const held = due === 1 && holds.ownAccountHeld ? 1 : 0;
      out.push({ type, records: 1, overdue: due - held, held });
    } else if (type === "application_logs") {
      out.push({ type, records: 0, overdue: 0, held: 0 });
    } else {
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
  const rows = await db
    .selectFrom("order_buyer_pii")
    .select([day.as("day"), (eb) => eb.fn.countAll<number>().as("n")])
    .where("account_id", "=", accountId)
    .where("purge_after", ">", at)
    .where("purge_after", "<", end)
    .where((eb) =>
      eb(
        "order_id",
        "not in",
        eb
          .selectFrom("legal_holds")
          .select("order_row_id")
          .where("account_id", "=", accountId)
          .where("order_row_id", "is not", null)
          .where("released_at", "is", null)
          .where((h) => h.or([h("expires_at", "is", null), h("expires_at", ">", at)])),
      ),
    )
    .groupBy(day)
    .execute();
  const byDay = new Map(rows.map((r) => [r.day, Number(r.n)]));
  return series.map((s) => ({ day: s.day, count: byDay.get(s.day) ?? 0 }));
}
