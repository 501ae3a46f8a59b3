import { searchOrders } from "../amazon/operations/orders.js";
import { normalizePage, orderDatasets, storeOrderBatch } from "./orders-store.js";
import { ACTOR, isoMs, isRecord, readCursor, type StreamContext, writeCursor } from "./sync-context.js";

/**
 * Incremental orders: searchOrders by lastUpdatedAfter from the stored cursor minus an overlap (updates
 * become visible to search a little late; the merge ignores what is not newer), ending at least 2 minutes
 * in the past as Amazon requires. Every page is stored together with a checkpoint holding the page token,
 * so a restart continues the same sequence; the last page moves the cursor to the search's end.
 */
export const ORDERS_STREAM = "orders";

interface OrdersCursor {
  /** Everything updated before this is stored. */
  after: string;
  /** A search in progress: its bounds and the next page's token. */
  from?: string;
  before?: string;
  token?: string;
}

const isCursor = (v: unknown): v is OrdersCursor => isRecord(v) && typeof v.after === "string";

export async function runOrdersIncremental(ctx: StreamContext): Promise<void> {
  const saved = await readCursor(ctx.db, ctx.accountId, ORDERS_STREAM, isCursor);
  // The search's bounds are Amazon's time; the checkpoint's own stamp is ours.
  const nowMs = ctx.amazonClock.now().getTime();
  // Without a cursor (no backfill ran for this account) the search starts one overlap back.
  const settled = saved?.after ?? new Date(nowMs - ctx.tuning.endLagMs - ctx.tuning.overlapMs).toISOString();
  let from: string;
  let before: string;
  let token: string | undefined;
  if (saved?.token && saved.from && saved.before) {
    ({ from, before, token } = saved as Required<OrdersCursor>);
  } else {
    from = new Date(Date.parse(settled) - ctx.tuning.overlapMs).toISOString();
    before = new Date(nowMs - ctx.tuning.endLagMs).toISOString();
    if (from >= before) return;
  }

  let pages = 0;
  for (;;) {
    const page = await ctx.call(() =>
      searchOrders(
        ctx.client,
        ctx.accountId,
        {
          lastUpdatedAfter: from,
          lastUpdatedBefore: before,
          includedData: orderDatasets(ctx),
          maxResultsPerPage: 100,
          ...(token ? { paginationToken: token } : {}),
        },
        { actor: ACTOR },
      ),
    );
    const next = page.pagination?.nextToken;
    // Amazon says which end it used; that, not ours, is what the cursor may advance to.
    const end = isoMs(page.lastUpdatedBefore) ?? before;
    const checkpoint: OrdersCursor = next
      ? { after: settled, from, before, token: next }
      : { after: end.localeCompare(settled) > 0 ? end : settled };
    await storeOrderBatch(ctx, normalizePage(ctx, page.orders), (trx) =>
      writeCursor(trx, ctx.accountId, ORDERS_STREAM, checkpoint, ctx.clock.now()),
    );
    ctx.progress("incremental", ++pages);
    if (!next) return;
    token = next;
  }
}
