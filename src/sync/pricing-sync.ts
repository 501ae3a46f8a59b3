import { type CompetitiveSummaryResponse, getCompetitiveSummary } from "../amazon/operations/seller-data.js";
import { parseMinorUnits } from "./money.js";
import { inTransaction } from "./orders-repo.js";
import { type CompetitivePrice, upsertPrices } from "./prices-repo.js";
import { ACTOR, addSkipped, isRecord, readCursor, type StreamContext, writeCursor } from "./sync-context.js";

/**
 * Competitive position of the seller's own ASINs (Pricing 2022-05-01 getCompetitiveSummary, 20 ASINs a batch).
 * The ASINs come from the stored inventory and order items, per marketplace. A snapshot run records the
 * batch it reached, so a restart within the hour continues instead of starting over (the operation allows
 * one call per 30 seconds).
 */
export const PRICING_STREAM = "pricing";
const BATCH = 20;
const RESUME_WITHIN_MS = 60 * 60_000;

interface PricingCursor {
  run?: { startedAt: string; next: number };
  lastRunAt?: string;
}
const isCursor = (v: unknown): v is PricingCursor => isRecord(v);

type Body = CompetitiveSummaryResponse["responses"][number]["body"];
type Price = { amount?: number | undefined; currencyCode?: string | undefined } | undefined;

function minor(price: Price): { minor: number; currency: string } | null {
  if (price?.amount === undefined || !price.currencyCode) return null;
  const value = parseMinorUnits(String(price.amount), price.currencyCode);
  return value === null ? null : { minor: value, currency: price.currencyCode };
}

export function toPrice(
  body: Body,
  sku: string | null,
  sellingPartnerId: string | null,
  asOf: string,
): CompetitivePrice | null {
  const featured = body.featuredBuyingOptions?.[0]?.segmentedFeaturedOffers[0];
  const lowestOffers = body.lowestPricedOffers?.flatMap((l) => l.offers) ?? [];
  const buyBox = minor(featured?.listingPrice);
  const lowest = lowestOffers
    .map((o) => minor(o.listingPrice))
    .filter((p): p is { minor: number; currency: string } => p !== null)
    .sort((a, b) => a.minor - b.minor)[0];
  const own = sellingPartnerId ? lowestOffers.find((o) => o.sellerId === sellingPartnerId) : undefined;
  const ownPrice = minor(own?.listingPrice);
  const currency = buyBox?.currency ?? lowest?.currency ?? ownPrice?.currency;
  if (!currency) return null;
  return {
    marketplace: body.marketplaceId,
    asin: body.asin,
    sku,
    currency,
    ownPriceMinor: ownPrice?.minor ?? null,
    buyBoxPriceMinor: buyBox?.minor ?? null,
    lowestPriceMinor: lowest?.minor ?? null,
    isBuyBoxWinner: sellingPartnerId && featured?.sellerId ? featured.sellerId === sellingPartnerId : null,
    offerCount: body.lowestPricedOffers ? lowestOffers.length : null,
    asOf,
  };
}

/** The seller's (marketplace, ASIN, SKU) triples, in a stable order so a resumed run means the same batches. */
async function ownAsins(
  ctx: StreamContext,
): Promise<Array<{ marketplace: string; asin: string; sku: string | null }>> {
  const seen = new Map<string, { marketplace: string; asin: string; sku: string | null }>();
  const inventory = await ctx.db
    .selectFrom("inventory_summaries")
    .select(["marketplace", "asin", "sku"])
    .where("account_id", "=", ctx.accountId)
    .where("asin", "is not", null)
    .execute();
  for (const r of inventory)
    seen.set(`${r.marketplace}\n${r.asin}`, {
      marketplace: r.marketplace,
      asin: r.asin as string,
      sku: r.sku,
    });
  const sold = await ctx.db
    .selectFrom("order_items")
    .innerJoin("orders", "orders.id", "order_items.order_id")
    .select(["orders.marketplace", "order_items.asin", "order_items.sku"])
    .distinct()
    .where("order_items.account_id", "=", ctx.accountId)
    .where("order_items.asin", "is not", null)
    .where("orders.marketplace", "is not", null)
    .execute();
  for (const r of sold) {
    const key = `${r.marketplace}\n${r.asin}`;
    if (!seen.has(key) && ctx.marketplaces.includes(r.marketplace as string)) {
      seen.set(key, { marketplace: r.marketplace as string, asin: r.asin as string, sku: r.sku });
    }
  }
  return [...seen.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
}

export async function runPricingSync(ctx: StreamContext): Promise<void> {
  const saved = (await readCursor(ctx.db, ctx.accountId, PRICING_STREAM, isCursor)) ?? {};
  // Ours, not Amazon's time: the run's times are never sent to Amazon, and asOf is shown as when we looked.
  const nowMs = ctx.clock.now().getTime();
  const resume = saved.run && nowMs - Date.parse(saved.run.startedAt) < RESUME_WITHIN_MS && !ctx.full;
  const startedAt = resume && saved.run ? saved.run.startedAt : ctx.clock.now().toISOString();
  const asins = (await ownAsins(ctx)).filter((a) => /^[A-Z0-9]{10}$/.test(a.asin));
  // One request names one marketplace per ASIN; batches are cut per marketplace.
  const batches: Array<typeof asins> = [];
  for (const market of ctx.marketplaces) {
    const mine = asins.filter((a) => a.marketplace === market);
    for (let i = 0; i < mine.length; i += BATCH) batches.push(mine.slice(i, i + BATCH));
  }
  for (let b = resume && saved.run ? saved.run.next : 0; b < batches.length; b++) {
    const batch = batches[b] as typeof asins;
    const first = batch[0] as (typeof asins)[number];
    const res = await ctx.call(() =>
      getCompetitiveSummary(
        ctx.client,
        ctx.accountId,
        {
          marketplaceId: first.marketplace,
          asins: batch.map((a) => a.asin),
          includedData: ["featuredBuyingOptions", "lowestPricedOffers", "referencePrices"],
        },
        { actor: ACTOR },
      ),
    );
    const asOf = ctx.clock.now().toISOString();
    const prices: CompetitivePrice[] = [];
    let bad = 0;
    for (const r of res.responses) {
      const sku = batch.find((a) => a.asin === r.body.asin)?.sku ?? null;
      const price =
        (r.status.statusCode ?? 200) < 300 ? toPrice(r.body, sku, ctx.sellingPartnerId, asOf) : null;
      if (price) prices.push(price);
      else bad += 1;
    }
    const done = b === batches.length - 1;
    const checkpoint: PricingCursor = done
      ? { lastRunAt: startedAt }
      : { ...(saved.lastRunAt ? { lastRunAt: saved.lastRunAt } : {}), run: { startedAt, next: b + 1 } };
    const result = await inTransaction(ctx.db, async (trx) => {
      const stored = await trx
        .selectFrom("prices")
        .select(["marketplace", "asin"])
        .where("account_id", "=", ctx.accountId)
        .where("marketplace", "=", first.marketplace)
        .where(
          "asin",
          "in",
          batch.map((a) => a.asin),
        )
        .execute();
      const known = new Set(stored.map((row) => row.asin));
      for (const price of prices) {
        if (known.has(price.asin)) ctx.counts.updated += 1;
        else ctx.counts.inserted += 1;
      }
      const r = await upsertPrices(trx, ctx.accountId, prices, { now: ctx.clock.now() });
      await writeCursor(trx, ctx.accountId, PRICING_STREAM, checkpoint, ctx.clock.now());
      return r;
    });
    ctx.counts.fetched += res.responses.length;
    ctx.counts.badRows += bad + result.rejected;
    addSkipped(ctx.counts, "NO_PRICE", bad);
    addSkipped(ctx.counts, "INVALID_RECORD", result.rejected);
    ctx.progress("pricing", b + 1, batches.length);
  }
  if (batches.length === 0) {
    await writeCursor(ctx.db, ctx.accountId, PRICING_STREAM, { lastRunAt: startedAt }, ctx.clock.now());
  }
}
