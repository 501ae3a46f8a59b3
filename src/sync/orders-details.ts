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
  /** The plan's end (createdBefore), kept so a resumed plan pages through the same search. */
  until?: string;
  createdAfter?: string;
  token?: string;
  done?: boolean;
}

const isDetails = (v: unknown): v is DetailsCursor => isRecord(v) && typeof v.plan === "string";

export async function fetchOrderDetails(
  ctx: StreamContext,
  plan: { id: string; until: string; createdAfter?: string },
): Promise<void> {
  if (!ctx.features.includes("fbm_shipping")) return;
  const saved = await readCursor(ctx.db, ctx.accountId, DETAILS_STREAM, isDetails);
  const cursor: DetailsCursor = saved?.plan === plan.id ? saved : { plan: plan.id };
  if (cursor.done) return;
  const until = cursor.until ?? plan.until;

  let createdAfter = cursor.createdAfter ?? plan.createdAfter;
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
          createdBefore: until,
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
      ? { plan: plan.id, until, createdAfter, token: next }
      : { plan: plan.id, until, done: true };
    await storeOrderBatch(ctx, normalizePage(ctx, page.orders), (trx) =>
      writeCursor(trx, ctx.accountId, DETAILS_STREAM, checkpoint, ctx.clock.now()),
    );
    ctx.progress("details", ++pages);
    if (!next) return;
    token = next;
  }
}

/** Open orders older than this are not worth a search: they are stale at Amazon, or about to be cancelled. */
const CATCH_UP_DAYS = 30;

/**
 * FBM shipping enabled after the backfill (a re-authorization that adds the feature): open merchant orders
 * stored without it have no buyer data or item ids, and neither the backfill nor the incremental search will
 * fetch them again unless Amazon updates them. After each incremental pass this looks for such orders (one
 * indexed query) and fetches their details once per authorization: the plan is named after it, so a finished
 * catch-up is not repeated every sync for an order Amazon no longer lists as open, and a resumed one keeps
 * its search. Only recent orders: buyer data of an old, never-delivered order is past its retention.
 */
export async function catchUpOrderDetails(ctx: StreamContext, until: string): Promise<void> {
  if (!ctx.features.includes("fbm_shipping")) return;
  const id = `catch-up:${ctx.authorizedAt ?? "first"}`;
  const saved = await readCursor(ctx.db, ctx.accountId, DETAILS_STREAM, isDetails);
  if (saved?.plan === id && saved.done) return;
  const recent = new Date(ctx.amazonClock.now().getTime() - CATCH_UP_DAYS * 86_400_000).toISOString();
  const oldest = await ctx.db
    .selectFrom("orders")
    .select((eb) => eb.fn.min("purchase_date").as("oldest"))
    .where("account_id", "=", ctx.accountId)
    .where("fulfillment_channel", "=", "FBM")
    .where("status", "in", [...OPEN_STATUSES])
    .where("has_buyer_data", "=", 0)
    .where("has_recipient_data", "=", 0)
    .where("purchase_date", ">", recent)
    .where("purchase_date", "<", until)
    .executeTakeFirst();
  if (saved?.plan !== id && !oldest?.oldest) return;
  await fetchOrderDetails(ctx, {
    id,
    until,
    ...(oldest?.oldest ? { createdAfter: new Date(Date.parse(oldest.oldest) - 1_000).toISOString() } : {}),
  });
}
