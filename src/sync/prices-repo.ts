import type { Kysely, Selectable } from "kysely";
import { z } from "zod";
import type { DB, PricesTable } from "../db/schema.js";
import { LIMITS } from "./order-model.js";
import { inTransaction } from "./orders-repo.js";

const minor = z.number().int().refine(Number.isSafeInteger).nullable();

/** One ASIN's competitive position at a moment (Product Pricing getCompetitiveSummary). */
export const competitivePriceSchema = z.object({
  marketplace: z.string().min(1).max(LIMITS.marketplace),
  asin: z.string().min(1).max(LIMITS.asin),
  sku: z.string().min(1).max(LIMITS.sku).nullable(),
  currency: z.string().regex(/^[A-Z]{3}$/),
  ownPriceMinor: minor,
  buyBoxPriceMinor: minor,
  lowestPriceMinor: minor,
  isBuyBoxWinner: z.boolean().nullable(),
  offerCount: z.number().int().min(0).nullable(),
  asOf: z.iso.datetime({ offset: false, precision: 3 }),
});
export type CompetitivePrice = z.infer<typeof competitivePriceSchema>;
export type PriceRow = Selectable<PricesTable>;

export interface PriceUpsertResult {
  received: number;
  rejected: number;
  written: number;
  staleIgnored: number;
}

/**
 * Stores competitive-position snapshots. A snapshot is whole (no buy box now means no buy box), so a newer
 * one replaces the stored one entirely; an older one (as_of) is ignored. The SKU, which some snapshots
 * lack, is kept once known.
 */
export async function upsertPrices(
  db: Kysely<DB>,
  accountId: string,
  prices: readonly CompetitivePrice[],
  options: { now: Date },
): Promise<PriceUpsertResult> {
  const result: PriceUpsertResult = { received: prices.length, rejected: 0, written: 0, staleIgnored: 0 };
  const valid = prices.filter((p) => competitivePriceSchema.safeParse(p).success);
  result.rejected = prices.length - valid.length;
  if (valid.length === 0) return result;
  const now = options.now.toISOString();
  return inTransaction(db, async (trx) => {
    const stored = new Map<string, string>();
    for (let i = 0; i < valid.length; i += 400) {
      const rows = await trx
        .selectFrom("prices")
        .select(["marketplace", "asin", "as_of"])
        .where("account_id", "=", accountId)
        .where("asin", "in", [...new Set(valid.slice(i, i + 400).map((p) => p.asin))])
        .execute();
      for (const r of rows) stored.set(`${r.marketplace}\n${r.asin}`, r.as_of);
    }
    const writes = new Map<string, PriceRow>();
    for (const p of valid) {
      const key = `${p.marketplace}\n${p.asin}`;
      const current = writes.get(key)?.as_of ?? stored.get(key);
      if (current !== undefined && p.asOf < current) {
        result.staleIgnored += 1;
        continue;
      }
      writes.set(key, {
        account_id: accountId,
        marketplace: p.marketplace,
        asin: p.asin,
        sku: p.sku,
        currency: p.currency,
        own_price_minor: p.ownPriceMinor,
        buy_box_price_minor: p.buyBoxPriceMinor,
        lowest_price_minor: p.lowestPriceMinor,
        is_buy_box_winner: p.isBuyBoxWinner === null ? null : p.isBuyBoxWinner ? 1 : 0,
        offer_count: p.offerCount,
        as_of: p.asOf,
        synced_at: now,
      });
    }
    const rows = [...writes.values()];
    for (let i = 0; i < rows.length; i += 400) {
      await trx
        .insertInto("prices")
        .values(rows.slice(i, i + 400))
        .onConflict((oc) =>
          oc
            .columns(["account_id", "marketplace", "asin"])
            .doUpdateSet((eb) => ({
              sku: eb.fn.coalesce(eb.ref("excluded.sku"), eb.ref("prices.sku")),
              currency: eb.ref("excluded.currency"),
              own_price_minor: eb.ref("excluded.own_price_minor"),
              buy_box_price_minor: eb.ref("excluded.buy_box_price_minor"),
              lowest_price_minor: eb.ref("excluded.lowest_price_minor"),
              is_buy_box_winner: eb.ref("excluded.is_buy_box_winner"),
              offer_count: eb.ref("excluded.offer_count"),
              as_of: eb.ref("excluded.as_of"),
              synced_at: eb.ref("excluded.synced_at"),
            }))
            .where((eb) => eb("prices.as_of", "<=", eb.ref("excluded.as_of"))),
        )
        .execute();
    }
    result.written = rows.length;
    return result;
  });
}

export async function listPrices(
  db: Kysely<DB>,
  accountId: string,
  options: { limit: number },
): Promise<PriceRow[]> {
  return db
    .selectFrom("prices")
    .selectAll()
    .where("account_id", "=", accountId)
    .orderBy("marketplace")
    .orderBy("asin")
    .limit(Math.max(1, Math.min(500, options.limit)))
    .execute();
}
