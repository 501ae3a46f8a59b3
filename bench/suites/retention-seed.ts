/**
 * Seeds delivered FBM orders with sealed buyer data for the retention benchmark. The rows are built by the
 * product's own code (mergeOrder, purgeAfter, piiRef and the real field cipher), then bulk-inserted with
 * prepared statements: upsertOrders' read-merge-write per batch would make seeding, not purging, the
 * run's cost. `probe` proves the equivalence by storing one order through upsertOrders.
 */
import type { Kysely } from "kysely";
import type { FieldCipher } from "../../src/crypto/field-cipher.js";
import { openSqliteHandle } from "../../src/db/database.js";
import type { DB, OrderBuyerPiiTable } from "../../src/db/schema.js";
import { MS } from "../../src/platform/clock.js";
import { mergeOrder, type OrderRow } from "../../src/sync/order-merge.js";
import { type NormalizedOrder, PII_FIELDS } from "../../src/sync/order-model.js";
import { orderRowId, PII_COLUMNS, piiRef, purgeAfter, upsertOrders } from "../../src/sync/orders-repo.js";
import type { Progress } from "../lib/progress.js";

export const FIRST_PURCHASE = "2025-12-01T00:00:00.000Z";
export const LAST_PURCHASE = "2026-09-30T00:00:00.000Z";
const CHUNK = 5_000;

export function benchOrder(i: number): NormalizedOrder {
  const span = Date.parse(LAST_PURCHASE) - Date.parse(FIRST_PURCHASE);
  const purchased = Date.parse(FIRST_PURCHASE) + ((i * 7_919) % 1_000_003) * (span / 1_000_003);
  const iso = (ms: number) => new Date(ms).toISOString();
  const deliveredAt = iso(purchased + 4 * MS.day);
  return {
    amazonOrderId: `${String(100 + (i % 900)).padStart(3, "0")}-${String(i).padStart(7, "0")}-${String((i * 31) % 10_000_000).padStart(7, "0")}`,
    source: "api",
    marketplace: "ATVPDKIKX0DER",
    status: "SHIPPED",
    fulfillmentChannel: "FBM",
    purchaseDate: iso(purchased),
    lastUpdatedAt: deliveredAt,
    latestShipDate: iso(purchased + 2 * MS.day),
    latestDeliveryDate: iso(purchased + 5 * MS.day),
    deliveredAt,
    totalMinor: 1406 + (i % 5000),
    currency: "USD",
    itemCount: 1,
    unitCount: 1,
    shipServiceLevel: "Standard",
    shipCountry: "US",
    isBusiness: false,
    isPrime: null,
    unknownEnum: false,
    items: null,
    pii: {
      buyerName: `Buyer ${i} Example`,
      shipName: `Buyer ${i} Example`,
      addressLine1: `${(i % 9000) + 1} Elm Street`,
      addressLine2: i % 3 === 0 ? `Apt ${i % 400}` : null,
      addressLine3: null,
      city: "Seattle",
      stateOrRegion: "WA",
      postalCode: String(98000 + (i % 999)),
      countryCode: "US",
      phone: `+1 555-${String(i % 10_000).padStart(4, "0")}`,
    },
  };
}

/** The two rows upsertOrders stores for a new FBM order with buyer data (shipping enabled). */
export async function productRows(
  fields: Pick<FieldCipher, "seal">,
  accountId: string,
  order: NormalizedOrder,
  now: string,
): Promise<{ order: OrderRow; pii: OrderBuyerPiiTable }> {
  const id = orderRowId(accountId, order.amazonOrderId);
  const outcome = mergeOrder(undefined, order, { id, accountId, now, shippingEnabled: true });
  const pii: OrderBuyerPiiTable = {
    order_id: id,
    account_id: accountId,
    buyer_name: null,
    ship_name: null,
    address_line1: null,
    address_line2: null,
    address_line3: null,
    city: null,
    state_or_region: null,
    postal_code: null,
    country_code: null,
    phone: null,
    delivered_at: outcome.row.delivered_at,
    purge_after: purgeAfter(outcome.row),
    created_at: now,
    updated_at: now,
  };
  for (const field of PII_FIELDS) {
    const value = order.pii?.[field] ?? null;
    if (value === null || value === "") continue;
    const column = PII_COLUMNS[field];
    pii[column] = await fields.seal(piiRef(accountId, id, column), value);
  }
  const hasRecipient = PII_FIELDS.some((f) => f !== "buyerName" && pii[PII_COLUMNS[f]] !== null) ? 1 : 0;
  return {
    order: {
      ...outcome.row,
      has_buyer_data: pii.buyer_name !== null ? 1 : 0,
      has_recipient_data: hasRecipient,
    },
    pii,
  };
}

function insertSql(table: string, columns: readonly string[]): string {
  return `INSERT INTO ${table} (${columns.join(", ")}) VALUES (${columns.map((c) => `@${c}`).join(", ")})`;
}

/** Inserts `count` orders round-robin over the accounts, CHUNK per transaction, on its own connection. */
export async function seedOrders(
  file: string,
  key: Buffer,
  fields: Pick<FieldCipher, "seal">,
  accountIds: readonly string[],
  count: number,
  now: string,
  progress: Progress,
): Promise<void> {
  const handle = await openSqliteHandle(file, key);
  try {
    const sample = await productRows(fields, accountIds[0] as string, benchOrder(0), now);
    const insertOrder = handle.prepare(insertSql("orders", Object.keys(sample.order)));
    const insertPii = handle.prepare(insertSql("order_buyer_pii", Object.keys(sample.pii)));
    const write = handle.transaction((rows: ReadonlyArray<{ order: OrderRow; pii: OrderBuyerPiiTable }>) => {
      for (const r of rows) insertOrder.run(r.order);
      for (const r of rows) insertPii.run(r.pii);
    });
    for (let start = 0; start < count; start += CHUNK) {
      const rows = [];
      for (let i = start; i < Math.min(count, start + CHUNK); i++) {
        rows.push(await productRows(fields, accountIds[i % accountIds.length] as string, benchOrder(i), now));
      }
      write(rows);
      if ((start / CHUNK) % 20 === 0) progress(`seeded ${start + rows.length} of ${count} orders`);
    }
    handle.pragma("wal_checkpoint(TRUNCATE)");
  } finally {
    handle.close();
  }
}

/**
 * Stores one more order through upsertOrders and checks its rows equal what productRows builds (ciphertext
 * aside, which differs by IV): the seeded rows are the product's rows.
 */
export async function probe(
  db: Kysely<DB>,
  fields: Pick<FieldCipher, "seal" | "open">,
  accountId: string,
  now: Date,
): Promise<void> {
  const order = benchOrder(9_999_999);
  await upsertOrders(db, fields, accountId, [order], { now, shippingEnabled: true });
  const built = await productRows(fields, accountId, order, now.toISOString());
  const stored = await db
    .selectFrom("orders")
    .selectAll()
    .where("id", "=", built.order.id)
    .executeTakeFirst();
  const storedPii = await db
    .selectFrom("order_buyer_pii")
    .selectAll()
    .where("order_id", "=", built.order.id)
    .executeTakeFirst();
  const sealed = new Set<string>(Object.values(PII_COLUMNS));
  const differs = (a: object, b: object | undefined) =>
    Object.entries(a).filter(([k, v]) => {
      const other = (b as Record<string, unknown> | undefined)?.[k];
      return sealed.has(k) ? (v === null) !== (other === null) : v !== other;
    });
  const bad = [...differs(built.order, stored), ...differs(built.pii, storedPii)].map(([k]) => k);
  if (bad.length > 0) throw new Error(`seeded rows differ from upsertOrders in: ${bad.join(", ")}`);
}
