import { searchOrders } from "../amazon/operations/orders.js";
import { normalizePage, orderDatasets, storeOrderBatch } from "./orders-store.js";
import { ACTOR, isRecord, readCursor, type StreamContext, writeCursor } from "./sync-context.js";

/**
 * After the reports: what they lack, fetched through searchOrders only where a feature needs it. Reports
 * carry no order item ids and no buyer/recipient data, which FBM order processing needs for the orders
 * still to ship (confirming a shipment names order item ids; the packing slip needs the address). So with
 * FBM shipping enabled, the open merchant-fulfilled orders are searched (100 a page, items included),
 * from the oldest one still open; nothing else is asked for. searchOrders is the scarcest operation
 * (one call per 3 minutes after its burst), which is why the backfill itself reads reports.
 */
export const DETAILS_STREAM = "orders.details";
const OPEN_STATUSES = ["UNSHIPPED", "PARTIALLY_SHIPPED"] as const;

interface DetailsCursor {
  plan: string;
  createdAfter?: string;
  token?: string;
  done?: boolean;
}

const isDetails = (v: unknown): v is DetailsCursor => isRecord(v) && typeof v.plan === "string";

export async function fetchOrderDetails(
  ctx: StreamContext,
  plan: { id: string; until: string },
): Promise<void> {
  if (!ctx.features.includes("fbm_shipping")) return;
  const saved = await readCursor(ctx.db, ctx.accountId, DETAILS_STREAM, isDetails);
  const cursor: DetailsCursor = saved?.plan === plan.id ? saved : { plan: plan.id };
  if (cursor.done) return;

  let createdAfter = cursor.createdAfter;
  if (!createdAfter) {
    const oldest = await ctx.db
      .selectFrom("orders")
      .select((eb) => eb.fn.min("purchase_date").as("oldest"))
      .where("account_id", "=", ctx.accountId)
      .where("fulfillment_channel", "=", "FBM")
      .where("status", "in", [...OPEN_STATUSES])
      .where("source", "=", "report")
      .executeTakeFirst();
    if (!oldest?.oldest) {
      await writeCursor(
        ctx.db,
        ctx.accountId,
        DETAILS_STREAM,
        { plan: plan.id, done: true },
        ctx.clock.now(),
      );
      return;
    }
    createdAfter = new Date(Date.parse(oldest.oldest) - 1_000).toISOString();
  }

  let token = cursor.token;
  let pages = 0;
  for (;;) {
    const page = await ctx.call(() =>
      searchOrders(
        ctx.client,
        ctx.accountId,
        {
          createdAfter,
          createdBefore: plan.until,
          fulfilledBy: ["MERCHANT"],
          fulfillmentStatuses: [...OPEN_STATUSES],
          includedData: orderDatasets(ctx),
          maxResultsPerPage: 100,
          ...(token ? { paginationToken: token } : {}),
        },
        { actor: ACTOR },
      ),
    );
    const next = page.pagination?.nextToken;
    const checkpoint: DetailsCursor = next
      ? { plan: plan.id, createdAfter, token: next }
      : { plan: plan.id, done: true };
    await storeOrderBatch(ctx, normalizePage(ctx, page.orders), (trx) =>
      writeCursor(trx, ctx.accountId, DETAILS_STREAM, checkpoint, ctx.clock.now()),
    );
    ctx.progress("details", ++pages);
    if (!next) return;
    token = next;
  }
}

/**
 * FBM shipping enabled after the backfill (a re-authorization that adds the feature): the open merchant orders
 * stored from reports still lack buyer data and item ids, and the backfill will not run again. After each
 * incremental pass this looks for such orders (one indexed query) and fetches their details up to the
 * incremental cursor (later orders come through searchOrders with everything already). A new plan each
 * time: an interrupted catch-up simply starts again from the oldest order still missing its details.
 */
export async function catchUpOrderDetails(ctx: StreamContext, until: string): Promise<void> {
  if (!ctx.features.includes("fbm_shipping")) return;
  const missing = await ctx.db
    .selectFrom("orders")
    .select("id")
    .where("account_id", "=", ctx.accountId)
    .where("fulfillment_channel", "=", "FBM")
    .where("status", "in", [...OPEN_STATUSES])
    .where("source", "=", "report")
    .where("purchase_date", "<", until)
    .limit(1)
    .executeTakeFirst();
  if (!missing) return;
  await fetchOrderDetails(ctx, { id: `catch-up:${until}`, until });
}
