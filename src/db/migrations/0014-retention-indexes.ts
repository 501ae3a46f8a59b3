import type { Kysely } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: migrations describe the schema as it was, not as it is
type AnyDb = Kysely<any>;

/**
 * The buyer-PII purge drops an order's reveal grants by (seller account, Amazon order id) in every batch;
 * the only other index on the table starts with user_id, so without this one each batch scans the table.
 */
export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createIndex("pii_reveal_grants_order")
    .on("pii_reveal_grants")
    .columns(["seller_account_id", "order_id"])
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropIndex("pii_reveal_grants_order").execute();
}
