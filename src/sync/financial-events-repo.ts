import { createHash } from "node:crypto";
import { type Kysely, type Selectable, sql } from "kysely";
import { z } from "zod";
import type { DB, FinancialEventsTable } from "../db/schema.js";
import { LIMITS } from "./order-model.js";
import { inTransaction } from "./orders-repo.js";

/** One amount of a financial event (a charge, a fee, a refund line), flattened from Finances v0. */
export const financialEventSchema = z.object({
  eventType: z.string().min(1).max(64),
  postedDate: z.iso.datetime({ offset: false, precision: 3 }),
  amazonOrderId: z.string().min(1).max(LIMITS.orderId).nullable(),
  sku: z.string().min(1).max(LIMITS.sku).nullable(),
  /** Fee or charge type (Commission, FBAPerUnitFulfillmentFee, Principal, ...). */
  feeType: z.string().min(1).max(64).nullable(),
  amountMinor: z.number().int().refine(Number.isSafeInteger),
  currency: z.string().regex(/^[A-Z]{3}$/),
});
export type FinancialEvent = z.infer<typeof financialEventSchema>;
export type FinancialEventRow = Selectable<FinancialEventsTable>;

export interface FinancialEventsResult {
  received: number;
  rejected: number;
  inserted: number;
  /** Already stored (a page fetched twice, overlapping windows). */
  duplicates: number;
}

/**
 * Finances v0 events carry no id, so the key is their content; the n-th identical amount within one batch
 * (two identical items' fees in one order) gets occurrence n, so a page stored twice stays one copy.
 */
export function financialEventKey(e: FinancialEvent, occurrence: number): string {
  const parts = [
    e.eventType,
    e.postedDate,
    e.amazonOrderId ?? "",
    e.sku ?? "",
    e.feeType ?? "",
    e.amountMinor,
    e.currency,
    occurrence,
  ];
  return createHash("sha256").update(JSON.stringify(parts)).digest("base64url");
}

/** Append-only: events are facts; storing one twice is a no-op, never an update. */
export async function insertFinancialEvents(
  db: Kysely<DB>,
  accountId: string,
  events: readonly FinancialEvent[],
  options: { now: Date },
): Promise<FinancialEventsResult> {
  const valid = events.filter((e) => financialEventSchema.safeParse(e).success);
  const result: FinancialEventsResult = {
    received: events.length,
    rejected: events.length - valid.length,
    inserted: 0,
    duplicates: 0,
  };
  if (valid.length === 0) return result;
  const seen = new Map<string, number>();
  const rows: FinancialEventRow[] = valid.map((e) => {
    const base = financialEventKey(e, 0);
    const occurrence = seen.get(base) ?? 0;
    seen.set(base, occurrence + 1);
    return {
      account_id: accountId,
      event_key: occurrence === 0 ? base : financialEventKey(e, occurrence),
      event_type: e.eventType,
      posted_date: e.postedDate,
      amazon_order_id: e.amazonOrderId,
      sku: e.sku,
      fee_type: e.feeType,
      amount_minor: e.amountMinor,
      currency: e.currency,
      created_at: options.now.toISOString(),
    };
  });
  return inTransaction(db, async (trx) => {
    for (let i = 0; i < rows.length; i += 400) {
      const [done] = await trx
        .insertInto("financial_events")
        .values(rows.slice(i, i + 400))
        .onConflict((oc) => oc.columns(["account_id", "event_key"]).doNothing())
        .execute();
      result.inserted += Number(done?.numInsertedOrUpdatedRows ?? 0);
    }
    result.duplicates = rows.length - result.inserted;
    return result;
  });
}

export interface FinanceTotal {
  /** YYYY-MM (month) or YYYY-MM-DD (day), UTC. */
  period: string;
  eventType: string;
  feeType: string | null;
  currency: string;
  totalMinor: number;
  count: number;
}

/** Sums by period, event type, fee type and currency; from inclusive, to exclusive. */
export async function financeTotals(
  db: Kysely<DB>,
  accountId: string,
  range: { from: string; to: string; period: "day" | "month" },
): Promise<FinanceTotal[]> {
  const period =
    range.period === "day" ? sql<string>`substr(posted_date, 1, 10)` : sql<string>`substr(posted_date, 1, 7)`;
  const rows = await db
    .selectFrom("financial_events")
    .select([
      period.as("period"),
      "event_type",
      "fee_type",
      "currency",
      (eb) => eb.fn.sum<number>("amount_minor").as("total"),
      (eb) => eb.fn.countAll<number>().as("n"),
    ])
    .where("account_id", "=", accountId)
    .where("posted_date", ">=", range.from)
    .where("posted_date", "<", range.to)
    .groupBy([period, "event_type", "fee_type", "currency"])
    .orderBy(period)
    .orderBy("event_type")
    .orderBy("fee_type")
    .orderBy("currency")
    .execute();
  return rows.map((r) => ({
    period: r.period,
    eventType: r.event_type,
    feeType: r.fee_type,
    currency: r.currency,
    totalMinor: Number(r.total),
    count: Number(r.n),
  }));
}
