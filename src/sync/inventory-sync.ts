import { getInventorySummaries, type InventorySummariesResponse } from "../amazon/operations/seller-data.js";
import { type InventorySummary, upsertInventorySummaries } from "./inventory-repo.js";
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
 * FBA inventory summaries, marketplace by marketplace, 50 a page. After a first full read, later runs ask
 * only for summaries changed since the previous run began (minus the overlap). Each page is stored with a
 * checkpoint naming the marketplace and the next token, so a restart continues where it stopped.
 */
export const INVENTORY_STREAM = "inventory";

interface InventoryCursor {
  /** Summaries changed before this were read by a finished run. */
  since?: string;
  /** A run in progress. */
  run?: { startedAt: string; market: number; token?: string };
}

const isCursor = (v: unknown): v is InventoryCursor => isRecord(v);
type RawSummary = NonNullable<InventorySummariesResponse["payload"]>["inventorySummaries"][number];

function toSummary(raw: RawSummary, marketplace: string, now: string): InventorySummary | null {
  if (!raw.sellerSku) return null;
  const d = raw.inventoryDetails;
  const inbound =
    (d?.inboundWorkingQuantity ?? 0) + (d?.inboundShippedQuantity ?? 0) + (d?.inboundReceivingQuantity ?? 0);
  return {
    marketplace,
    sku: raw.sellerSku,
    asin: raw.asin || null,
    fnSku: raw.fnSku || null,
    productName: raw.productName ?? null,
    condition: raw.condition ? raw.condition.slice(0, 40) : null,
    fulfillable: d?.fulfillableQuantity ?? 0,
    inbound,
    reserved: d?.reservedQuantity?.totalReservedQuantity ?? 0,
    unfulfillable: d?.unfulfillableQuantity?.totalUnfulfillableQuantity ?? 0,
    total: raw.totalQuantity ?? 0,
    // Amazon leaves the time out for some summaries: then the summary is as of this run.
    lastUpdatedAt: isoMs(raw.lastUpdatedTime) ?? now,
  };
}

export async function runInventorySync(ctx: StreamContext): Promise<void> {
  const saved = (await readCursor(ctx.db, ctx.accountId, INVENTORY_STREAM, isCursor)) ?? {};
  // Becomes the next run's startDateTime, so it is Amazon's time.
  const startedAt = saved.run?.startedAt ?? ctx.amazonClock.now().toISOString();
  const since =
    ctx.full || !saved.since
      ? undefined
      : new Date(Date.parse(saved.since) - ctx.tuning.overlapMs).toISOString();
  let pages = 0;
  for (let m = saved.run?.market ?? 0; m < ctx.marketplaces.length; m++) {
    const marketplace = ctx.marketplaces[m] as string;
    let token = m === saved.run?.market ? saved.run.token : undefined;
    for (;;) {
      const page = await ctx.call(() =>
        getInventorySummaries(
          ctx.client,
          ctx.accountId,
          {
            marketplaceId: marketplace,
            details: true,
            ...(since ? { startDateTime: since } : {}),
            ...(token ? { nextToken: token } : {}),
          },
          { actor: ACTOR },
        ),
      );
      // Stands in for Amazon's lastUpdatedTime, which stored summaries are compared by: Amazon's time too.
      const now = ctx.amazonClock.now().toISOString();
      const raw = page.payload?.inventorySummaries ?? [];
      const summaries: InventorySummary[] = [];
      for (const r of raw) {
        const s = toSummary(r, marketplace, now);
        if (s) summaries.push(s);
      }
      const next = page.pagination?.nextToken;
      const lastMarket = m === ctx.marketplaces.length - 1;
      const checkpoint: InventoryCursor = next
        ? { ...(saved.since ? { since: saved.since } : {}), run: { startedAt, market: m, token: next } }
        : lastMarket
          ? { since: startedAt }
          : { ...(saved.since ? { since: saved.since } : {}), run: { startedAt, market: m + 1 } };
      const result = await inTransaction(ctx.db, async (trx) => {
        const known = new Map<string, string>();
        if (summaries.length > 0) {
          const rows = await trx
            .selectFrom("inventory_summaries")
            .select(["sku", "last_updated_at"])
            .where("account_id", "=", ctx.accountId)
            .where("marketplace", "=", marketplace)
            .where("sku", "in", [...new Set(summaries.map((x) => x.sku))])
            .execute();
          for (const row of rows) known.set(row.sku, row.last_updated_at);
        }
        for (const x of summaries) {
          const at = known.get(x.sku);
          if (at === undefined) ctx.counts.inserted += 1;
          else if (at === x.lastUpdatedAt) ctx.counts.unchanged += 1;
          else if (at < x.lastUpdatedAt) ctx.counts.updated += 1;
        }
        const r = await upsertInventorySummaries(trx, ctx.accountId, summaries, { now: ctx.clock.now() });
        await writeCursor(trx, ctx.accountId, INVENTORY_STREAM, checkpoint, ctx.clock.now());
        return r;
      });
      const bad = raw.length - summaries.length + result.rejected;
      ctx.counts.fetched += raw.length;
      ctx.counts.badRows += bad;
      addSkipped(ctx.counts, "MISSING_SKU", raw.length - summaries.length);
      addSkipped(ctx.counts, "INVALID_RECORD", result.rejected);
      addSkipped(ctx.counts, "STALE", result.staleIgnored);
      ctx.progress("inventory", ++pages);
      if (!next) break;
      token = next;
    }
  }
  if (ctx.marketplaces.length === 0) {
    await writeCursor(ctx.db, ctx.accountId, INVENTORY_STREAM, { since: startedAt }, ctx.clock.now());
  }
}
