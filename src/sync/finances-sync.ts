import { listFinancialEvents, type ShipmentEvent } from "../amazon/operations/finances.js";
import { type FinancialEvent, insertFinancialEvents } from "./financial-events-repo.js";
import { parseMinorUnits } from "./money.js";
import { inTransaction } from "./orders-repo.js";
import {
  ACTOR,
  addSkipped,
  isoMs,
  isRecord,
  readCursor,
  type StreamContext,
  writeCursor,
} from "./sync-context.js";

/**
 * Financial events (shipment charges and fees, refunds) by PostedAfter cursor, 100 a page, ending at least
 * two minutes in the past. Each page is stored with its checkpoint (the next token); the last page moves the
 * cursor to the window's end. Events are keyed by content, so the overlap and a repeated page store nothing
 * twice.
 */
export const FINANCES_STREAM = "finances";

interface FinancesCursor {
  after: string;
  from?: string;
  before?: string;
  token?: string;
}
const isCursor = (v: unknown): v is FinancesCursor => isRecord(v) && typeof v.after === "string";

type Amount = { CurrencyCode?: string | undefined; CurrencyAmount?: number | undefined } | undefined;

/** Flattens shipment and refund events into one row per amount; unreadable amounts are counted. */
export function flattenEvents(
  eventType: "ShipmentEvent" | "RefundEvent",
  events: readonly ShipmentEvent[],
): { rows: FinancialEvent[]; bad: number } {
  const rows: FinancialEvent[] = [];
  let bad = 0;
  for (const e of events) {
    const posted = isoMs(e.PostedDate);
    const items = eventType === "ShipmentEvent" ? e.ShipmentItemList : e.ShipmentItemAdjustmentList;
    for (const item of items ?? []) {
      const add = (feeType: string | undefined, amount: Amount) => {
        const currency = amount?.CurrencyCode;
        const value =
          currency && amount?.CurrencyAmount !== undefined
            ? parseMinorUnits(
                amount.CurrencyAmount.toFixed(6).replace(/0+$/, "").replace(/\.$/, ""),
                currency,
              )
            : null;
        if (posted === null || value === null || !currency) {
          bad += 1;
          return;
        }
        rows.push({
          eventType,
          postedDate: posted,
          amazonOrderId: e.AmazonOrderId ? e.AmazonOrderId.slice(0, 64) : null,
          sku: item.SellerSKU || null,
          feeType: feeType ? feeType.slice(0, 64) : null,
          amountMinor: value,
          currency,
        });
      };
      const charges = eventType === "ShipmentEvent" ? item.ItemChargeList : item.ItemChargeAdjustmentList;
      const fees = eventType === "ShipmentEvent" ? item.ItemFeeList : item.ItemFeeAdjustmentList;
      const promos = eventType === "ShipmentEvent" ? item.PromotionList : item.PromotionAdjustmentList;
      for (const c of charges ?? []) add(c.ChargeType, c.ChargeAmount);
      for (const f of fees ?? []) add(f.FeeType, f.FeeAmount);
      for (const p of promos ?? []) add(p.PromotionType ? "Promotion" : undefined, p.PromotionAmount);
    }
  }
  return { rows, bad };
}

export async function runFinancesSync(ctx: StreamContext): Promise<void> {
  const saved = await readCursor(ctx.db, ctx.accountId, FINANCES_STREAM, isCursor);
  // The search's bounds are Amazon's time; the checkpoint's own stamp is ours.
  const nowMs = ctx.amazonClock.now().getTime();
  const settled = saved && !ctx.full ? saved.after : new Date(nowMs - ctx.tuning.historyMs).toISOString();
  let from: string;
  let before: string;
  let token: string | undefined;
  if (saved?.token && saved.from && saved.before && !ctx.full) {
    ({ from, before, token } = saved as Required<FinancesCursor>);
  } else {
    from = saved && !ctx.full ? new Date(Date.parse(settled) - ctx.tuning.overlapMs).toISOString() : settled;
    before = new Date(nowMs - ctx.tuning.endLagMs).toISOString();
    if (from >= before) return;
  }
  let pages = 0;
  for (;;) {
    const page = await ctx.call(() =>
      listFinancialEvents(
        ctx.client,
        ctx.accountId,
        token ? { nextToken: token } : { postedAfter: from, postedBefore: before, maxResultsPerPage: 100 },
        { actor: ACTOR },
      ),
    );
    const lists = page.payload?.FinancialEvents;
    const shipments = flattenEvents("ShipmentEvent", lists?.ShipmentEventList ?? []);
    const refunds = flattenEvents("RefundEvent", lists?.RefundEventList ?? []);
    const rows = [...shipments.rows, ...refunds.rows];
    const next = page.payload?.NextToken;
    const checkpoint: FinancesCursor = next
      ? { after: settled, from, before, token: next }
      : { after: before };
    const result = await inTransaction(ctx.db, async (trx) => {
      const r = await insertFinancialEvents(trx, ctx.accountId, rows, { now: ctx.clock.now() });
      await writeCursor(trx, ctx.accountId, FINANCES_STREAM, checkpoint, ctx.clock.now());
      return r;
    });
    const bad = shipments.bad + refunds.bad + result.rejected;
    ctx.counts.fetched += rows.length + shipments.bad + refunds.bad;
    ctx.counts.inserted += result.inserted;
    ctx.counts.unchanged += result.duplicates;
    ctx.counts.badRows += bad;
    addSkipped(ctx.counts, "BAD_AMOUNT", shipments.bad + refunds.bad);
    addSkipped(ctx.counts, "INVALID_RECORD", result.rejected);
    addSkipped(ctx.counts, "DUPLICATE", result.duplicates);
    ctx.progress("finances", ++pages);
    if (!next) return;
    token = next;
  }
}
