/**
 * Ingest: Orders API pages (orders with items, FBM ones with buyer data) stored the way a sync stores a
 * searchOrders page (upsertOrders in one transaction: read, merge, write, seal the buyer data) into the
 * product's store (SQLCipher, sealed PII, the audit event the client records for the page's call), against
 * plain prepared INSERTs of the very rows that store ended up with into an unencrypted SQLite file.
 */
import { randomBytes } from "node:crypto";
import path from "node:path";
import SqliteDatabase from "better-sqlite3-multiple-ciphers";
import { OrderData } from "../../sandbox/data-generator.js";
import { type IncludedData, orderView } from "../../sandbox/order-views.js";
import { createSellerAccount } from "../../src/accounts/accounts-repo.js";
import { orderSchema } from "../../src/amazon/operations/orders.js";
import { loadConfig } from "../../src/config/config.js";
import { systemClock } from "../../src/platform/clock.js";
import { openRuntime } from "../../src/runtime.js";
import { normalizeApiOrder } from "../../src/sync/order-api-mapper.js";
import type { NormalizedOrder } from "../../src/sync/order-model.js";
import { orderRowId, upsertOrders } from "../../src/sync/orders-repo.js";
import { discardingLogger } from "../lib/fixtures.js";

/** A searchOrders page. */
export const PAGE = 100;
const DATASETS: ReadonlySet<IncludedData> = new Set([
  "BUYER",
  "RECIPIENT",
  "PROCEEDS",
  "FULFILLMENT",
  "PACKAGES",
]);
const TABLES = ["orders", "order_items", "order_buyer_pii"] as const;

/** Pages of orders as the client hands them to the sync (zod-parsed, then normalized by the real mapper). */
export function orderPages(count: number, endMs: number): NormalizedOrder[][] {
  const data = new OrderData({ orders: count, seed: 7, sellers: 1, endMs });
  const seller = data.sellers[0];
  if (!seller) throw new Error("no generated seller");
  const pages: NormalizedOrder[][] = [];
  for (let start = 0; start < count; start += PAGE) {
    const page: NormalizedOrder[] = [];
    for (let j = start; j < Math.min(count, start + PAGE); j++) {
      const normalized = normalizeApiOrder(orderSchema.parse(orderView(data.orderOf(seller, j), DATASETS)));
      if (typeof normalized === "string") throw new Error(`generated order rejected: ${normalized}`);
      page.push(normalized);
    }
    pages.push(page);
  }
  return pages;
}

export interface IngestRound {
  orders: number;
  items: number;
  sealedOrders: number;
  /** Orders per second into the product's store. */
  storeRate: number;
  /** Orders per second, plain inserts of the same rows. */
  plainRate: number;
  /** Orders per second, the same plain inserts into a SQLCipher file (the cipher's share of the cost). */
  cipherPlainRate: number;
}

type Row = Record<string, unknown>;

function insertSql(table: string, columns: readonly string[]): string {
  return `INSERT INTO ${table} (${columns.join(", ")}) VALUES (${columns.map((c) => `@${c}`).join(", ")})`;
}

export async function ingestRound(dir: string, pages: readonly NormalizedOrder[][]): Promise<IngestRound> {
  const dataDir = path.join(dir, "data");
  const config = loadConfig({ SELLER_PILOT_DATA_DIR: dataDir, SELLER_PILOT_LOG_LEVEL: "warn" }, dir);
  const rt = await openRuntime({ config, clock: systemClock, logger: discardingLogger() });
  const rows = new Map<string, Row[]>(TABLES.map((t) => [t, []]));
  const schema: string[] = [];
  let storeMs: number;
  let accountId: string;
  try {
    const now = new Date(Date.parse(pages[0]?.[0]?.purchaseDate ?? "2026-01-01T00:00:00Z"));
    accountId = (
      await createSellerAccount(rt.database.db, rt.fields, { name: "Bench ingest", region: "na" }, now)
    ).id;
    // Each page is stored as of its newest update, as the incremental sync stores orders soon after they
    // change: the FBM orders' buyer data is then still within retention and gets sealed.
    const times = pages.map((page) => new Date(Math.max(...page.map((o) => Date.parse(o.lastUpdatedAt)))));
    const t0 = performance.now();
    for (const [i, page] of pages.entries()) {
      await rt.audit.record({
        action: "spapi.call",
        actor: "system:sync",
        outcome: "success",
        target: {
          account: accountId,
          operation: "searchOrders",
          dataElements: [...DATASETS].sort().join(","),
        },
      });
      await upsertOrders(rt.database.db, rt.fields, accountId, page, {
        now: times[i] as Date,
        shippingEnabled: true,
      });
    }
    // Every path ends with its WAL checkpointed, so none leaves part of its writing outside the timing.
    await rt.database.checkpoint();
    storeMs = performance.now() - t0;
    for (const table of TABLES) {
      const all = await rt.database.db.selectFrom(table).selectAll().execute();
      rows.set(table, all as Row[]);
    }
    const ddl = await rt.database.db
      .selectFrom("sqlite_master" as never)
      .select(["sql" as never])
      .where("tbl_name" as never, "in", TABLES as never)
      .where("sql" as never, "is not", null as never)
      .orderBy("type" as never, "desc")
      .execute();
    schema.push(...ddl.map((r) => (r as { sql: string }).sql));
  } finally {
    await rt.close();
  }

  const byOrder = (table: (typeof TABLES)[number], key: string) => {
    const map = new Map<string, Row[]>();
    for (const row of rows.get(table) ?? []) {
      const id = String(row[key]);
      map.set(id, [...(map.get(id) ?? []), row]);
    }
    return map;
  };
  const orders = byOrder("orders", "id");
  const items = byOrder("order_items", "order_id");
  const pii = byOrder("order_buyer_pii", "order_id");
  // The same pages, each page's rows in one transaction, as the store wrote them.
  const plainPages = pages.map((page) => {
    const ids = page.map((o) => orderRowId(accountId, o.amazonOrderId));
    return TABLES.map((table) =>
      ids.flatMap(
        (id) => (table === "orders" ? orders : table === "order_items" ? items : pii).get(id) ?? [],
      ),
    );
  });

  const insertAll = (file: string, key: Buffer | null) =>
    plainInserts(
      file,
      key,
      schema,
      TABLES.map((t) => rows.get(t)?.[0]),
      plainPages,
    );
  const plainMs = insertAll(path.join(dir, "plain.db"), null);
  const cipherMs = insertAll(path.join(dir, "cipher.db"), randomBytes(32));
  const orderCount = rows.get("orders")?.length ?? 0;
  return {
    orders: orderCount,
    items: rows.get("order_items")?.length ?? 0,
    sealedOrders: rows.get("order_buyer_pii")?.length ?? 0,
    storeRate: orderCount / (storeMs / 1000),
    plainRate: orderCount / (plainMs / 1000),
    cipherPlainRate: orderCount / (cipherMs / 1000),
  };
}

/**
 * Prepared INSERTs of the rows, one transaction per page, into a fresh file with the store's tables and
 * indexes (foreign keys off: seller_accounts is not copied). With a key, the file is SQLCipher as the
 * product opens it: that splits the store's cost into the cipher's share and the repository's.
 */
function plainInserts(
  file: string,
  key: Buffer | null,
  schema: readonly string[],
  samples: ReadonlyArray<Row | undefined>,
  pages: ReadonlyArray<Row[][]>,
): number {
  const handle = new SqliteDatabase(file);
  try {
    if (key) {
      handle.pragma("cipher = 'sqlcipher'");
      handle.pragma("legacy = 4");
      handle.pragma(`key = "x'${key.toString("hex")}'"`);
    }
    handle.pragma("journal_mode = WAL");
    handle.pragma("synchronous = NORMAL");
    handle.pragma("foreign_keys = OFF");
    for (const statement of schema) handle.exec(statement);
    const inserts = TABLES.map((table, i) => {
      const sample = samples[i];
      return sample ? handle.prepare(insertSql(table, Object.keys(sample))) : null;
    });
    const write = handle.transaction((tables: Row[][]) => {
      tables.forEach((list, i) => {
        const insert = inserts[i];
        if (insert) for (const row of list) insert.run(row);
      });
    });
    const t0 = performance.now();
    for (const tables of pages) write(tables);
    handle.pragma("wal_checkpoint(TRUNCATE)");
    return performance.now() - t0;
  } finally {
    handle.close();
  }
}
