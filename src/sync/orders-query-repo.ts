import { type Kysely, sql } from "kysely";
import type { FieldCipher } from "../crypto/field-cipher.js";
import type { DB } from "../db/schema.js";
import { AppError } from "../platform/errors.js";
import type { OrderItemRow, OrderRow } from "./order-merge.js";
import type { OrderPii } from "./order-model.js";
import { orderRowId, PII_COLUMNS, type PiiColumn, piiRef } from "./orders-repo.js";

/** Reads for the access layer (rule 1: only src/access and src/sync import this). Never returns PII. */
export interface OrderFilter {
  status?: readonly string[];
  fulfillmentChannel?: string;
  /** ISO bounds on the purchase date: from inclusive, to exclusive. */
  purchasedFrom?: string;
  purchasedTo?: string;
  /** Amazon order id prefix, e.g. "111-23". */
  orderIdPrefix?: string;
  /** Matches an order id prefix or a SKU prefix of any of the order's items (the orders page's search box). */
  search?: string;
}

/** Escaped for LIKE: a "%" or "_" in the search is matched literally. */
function likePrefix(value: string): string {
  return `${value.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export interface OrderPage {
  orders: OrderRow[];
  /** Opaque; null when this is the last page. */
  nextCursor: string | null;
}

export const MAX_PAGE_SIZE = 200;

function encodeCursor(row: Pick<OrderRow, "purchase_date" | "id">): string {
  return Buffer.from(JSON.stringify([row.purchase_date, row.id])).toString("base64url");
}

function decodeCursor(cursor: string): [string, string] {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      value.every((v) => typeof v === "string" && v.length <= 64)
    ) {
      return value as [string, string];
    }
  } catch {
    // falls through to the error below
  }
  throw new AppError("VALIDATION_FAILED", "The page cursor is not valid.", { details: { field: "cursor" } });
}

/** Newest purchases first, keyset-paged on (purchase_date, id) so pages stay stable while orders arrive. */
export async function listOrders(
  db: Kysely<DB>,
  accountId: string,
  filter: OrderFilter,
  page: { limit: number; cursor?: string | null },
): Promise<OrderPage> {
  const limit = Math.max(1, Math.min(MAX_PAGE_SIZE, Math.floor(page.limit)));
  let query = db.selectFrom("orders").selectAll().where("account_id", "=", accountId);
  if (filter.status && filter.status.length > 0) query = query.where("status", "in", [...filter.status]);
  if (filter.fulfillmentChannel) query = query.where("fulfillment_channel", "=", filter.fulfillmentChannel);
  if (filter.purchasedFrom) query = query.where("purchase_date", ">=", filter.purchasedFrom);
  if (filter.purchasedTo) query = query.where("purchase_date", "<", filter.purchasedTo);
  if (filter.orderIdPrefix) {
    // Escaped: a "%" or "_" in the search is matched literally.
    const escaped = filter.orderIdPrefix.replace(/[\\%_]/g, (c) => `\\${c}`);
    query = query.where(sql<boolean>`amazon_order_id LIKE ${`${escaped}%`} ESCAPE '\\'`);
  }
  if (filter.search) {
    const pattern = likePrefix(filter.search);
    query = query.where((eb) =>
      eb.or([
        sql<boolean>`amazon_order_id LIKE ${pattern} ESCAPE '\\'`,
        eb(
          "id",
          "in",
          eb
            .selectFrom("order_items")
            .select("order_items.order_id")
            .where("order_items.account_id", "=", accountId)
            .where(sql<boolean>`order_items.sku LIKE ${pattern} ESCAPE '\\'`),
        ),
      ]),
    );
  }
  if (page.cursor) {
    const [date, id] = decodeCursor(page.cursor);
    query = query.where((eb) =>
      eb.or([eb("purchase_date", "<", date), eb.and([eb("purchase_date", "=", date), eb("id", "<", id)])]),
    );
  }
  const rows = await query
    .orderBy("purchase_date", "desc")
    .orderBy("id", "desc")
    .limit(limit + 1)
    .execute();
  const more = rows.length > limit;
  const orders = more ? rows.slice(0, limit) : rows;
  const last = orders.at(-1);
  return { orders, nextCursor: more && last ? encodeCursor(last) : null };
}

export async function getOrder(
  db: Kysely<DB>,
  accountId: string,
  amazonOrderId: string,
): Promise<{ order: OrderRow; items: OrderItemRow[] } | null> {
  const id = orderRowId(accountId, amazonOrderId);
  const order = await db
    .selectFrom("orders")
    .selectAll()
    .where("id", "=", id)
    .where("account_id", "=", accountId)
    .executeTakeFirst();
  if (!order) return null;
  const items = await db
    .selectFrom("order_items")
    .selectAll()
    .where("order_id", "=", id)
    .orderBy("item_key")
    .execute();
  return { order, items };
}

export async function countOrdersByStatus(
  db: Kysely<DB>,
  accountId: string,
): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom("orders")
    .select(["status", (eb) => eb.fn.countAll<number>().as("n")])
    .where("account_id", "=", accountId)
    .groupBy("status")
    .execute();
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}

export interface DailySales {
  /** UTC day, YYYY-MM-DD. */
  day: string;
  currency: string;
  orders: number;
  totalMinor: number;
}

/** Sales per UTC purchase day and currency, cancelled orders excluded; from inclusive, to exclusive. */
export async function salesByDay(
  db: Kysely<DB>,
  accountId: string,
  range: { from: string; to: string },
): Promise<DailySales[]> {
  const day = sql<string>`substr(purchase_date, 1, 10)`;
  const rows = await db
    .selectFrom("orders")
    .select([
      day.as("day"),
      "currency",
      (eb) => eb.fn.countAll<number>().as("orders"),
      (eb) => eb.fn.sum<number>("total_minor").as("total"),
    ])
    .where("account_id", "=", accountId)
    .where("purchase_date", ">=", range.from)
    .where("purchase_date", "<", range.to)
    .where("status", "!=", "CANCELLED")
    .where("currency", "is not", null)
    .groupBy([day, "currency"])
    .orderBy(day)
    .orderBy("currency")
    .execute();
  return rows.map((r) => ({
    day: r.day,
    currency: r.currency ?? "",
    orders: Number(r.orders),
    totalMinor: Number(r.total ?? 0),
  }));
}

/**
 * Opens an order's buyer data. Only the access layer calls this, after authorizing the actor for PII and
 * recording the purpose; the values never go to logs.
 */
export async function readOrderPii(
  db: Kysely<DB>,
  fields: Pick<FieldCipher, "open">,
  accountId: string,
  amazonOrderId: string,
): Promise<OrderPii | null> {
  const id = orderRowId(accountId, amazonOrderId);
  const row = await db
    .selectFrom("order_buyer_pii")
    .selectAll()
    .where("order_id", "=", id)
    .where("account_id", "=", accountId)
    .executeTakeFirst();
  if (!row) return null;
  const out = {} as Record<keyof OrderPii, string | null>;
  for (const [field, column] of Object.entries(PII_COLUMNS) as Array<[keyof OrderPii, PiiColumn]>) {
    const sealed = row[column];
    out[field] = sealed === null ? null : await fields.open(piiRef(accountId, id, column), sealed);
  }
  return out;
}
