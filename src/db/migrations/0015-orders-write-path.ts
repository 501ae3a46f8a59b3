import type { Kysely } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: migrations describe the schema as it was, not as it is
type AnyDb = Kysely<any>;

/**
 * An order's row id is derived from (seller account, Amazon order id) (orderRowId: 192 bits of SHA-256), so
 * the primary key already makes that pair unique, and every lookup by Amazon order id goes through the
 * primary key. The second unique index on the pair duplicated that guarantee at the price of one more
 * randomly ordered B-tree rewritten by every sync batch (on SQLCipher each touched page is re-encrypted and
 * re-authenticated at commit and again at checkpoint).
 */
export async function up(db: AnyDb): Promise<void> {
  await db.schema.dropIndex("orders_account_order").execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema
    .createIndex("orders_account_order")
    .on("orders")
    .columns(["account_id", "amazon_order_id"])
    .unique()
    .execute();
}
