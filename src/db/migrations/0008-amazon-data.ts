import type { Kysely } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: migrations describe the schema as it was, not as it is
type AnyDb = Kysely<any>;

const account = "seller_accounts.id";

/**
 * Amazon Information synced for each seller account (src/sync): orders and their items, sealed FBM buyer
 * data, inventory, prices, financial events, and the per-stream sync checkpoints. Money is integer minor
 * units plus a currency; timestamps are ISO-8601 UTC text. Every row goes when its seller account does.
 */
export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable("orders")
    // Derived from (account, Amazon order id): the same order always maps to the same row, even when two
    // workers insert it at once.
    .addColumn("id", "varchar(64)", (col) => col.primaryKey())
    .addColumn("account_id", "varchar(64)", (col) => col.notNull().references(account).onDelete("cascade"))
    .addColumn("amazon_order_id", "varchar(64)", (col) => col.notNull())
    .addColumn("marketplace", "varchar(64)")
    // Bounded text, not an enum: a status Amazon adds tomorrow is stored as sent and flagged.
    .addColumn("status", "varchar(40)", (col) => col.notNull())
    .addColumn("fulfillment_channel", "varchar(40)", (col) => col.notNull())
    .addColumn("purchase_date", "varchar(32)", (col) => col.notNull())
    .addColumn("last_updated_at", "varchar(32)", (col) => col.notNull())
    .addColumn("latest_ship_date", "varchar(32)")
    .addColumn("latest_delivery_date", "varchar(32)")
    .addColumn("delivered_at", "varchar(32)")
    .addColumn("total_minor", "bigint")
    .addColumn("currency", "varchar(3)")
    .addColumn("item_count", "integer")
    .addColumn("unit_count", "integer")
    .addColumn("ship_service_level", "varchar(40)")
    .addColumn("ship_country", "varchar(2)")
    .addColumn("is_business", "integer")
    .addColumn("is_prime", "integer")
    // 1 when FBM order processing was enabled for the account when the order was stored.
    .addColumn("shipping_enabled", "integer", (col) => col.notNull().defaultTo(0))
    .addColumn("has_buyer_data", "integer", (col) => col.notNull().defaultTo(0))
    .addColumn("has_recipient_data", "integer", (col) => col.notNull().defaultTo(0))
    // The richest source seen so far ('report' < 'api'): orders still at 'report' may need details.
    .addColumn("source", "varchar(16)", (col) => col.notNull())
    .addColumn("unknown_enum", "integer", (col) => col.notNull().defaultTo(0))
    .addColumn("created_at", "varchar(32)", (col) => col.notNull())
    .addColumn("updated_at", "varchar(32)", (col) => col.notNull())
    .execute();
  await db.schema
    .createIndex("orders_account_order")
    .on("orders")
    .columns(["account_id", "amazon_order_id"])
    .unique()
    .execute();
  await db.schema
    .createIndex("orders_account_updated")
    .on("orders")
    .columns(["account_id", "last_updated_at"])
    .execute();
  await db.schema
    .createIndex("orders_account_purchased")
    .on("orders")
    .columns(["account_id", "purchase_date", "id"])
    .execute();
  await db.schema
    .createIndex("orders_account_status")
    .on("orders")
    .columns(["account_id", "status"])
    .execute();
  await db.schema
    .createIndex("orders_account_channel_status")
    .on("orders")
    .columns(["account_id", "fulfillment_channel", "status"])
    .execute();

  await db.schema
    .createTable("order_items")
    .addColumn("order_id", "varchar(64)", (col) => col.notNull().references("orders.id").onDelete("cascade"))
    // Amazon's orderItemId, or "r:<sku>" for report lines, which carry none.
    .addColumn("item_key", "varchar(240)", (col) => col.notNull())
    .addColumn("account_id", "varchar(64)", (col) => col.notNull().references(account).onDelete("cascade"))
    .addColumn("order_item_id", "varchar(64)")
    .addColumn("sku", "varchar(200)")
    .addColumn("asin", "varchar(20)")
    .addColumn("title", "varchar(500)")
    .addColumn("quantity", "integer", (col) => col.notNull())
    .addColumn("currency", "varchar(3)")
    .addColumn("item_price_minor", "bigint")
    .addColumn("item_tax_minor", "bigint")
    .addColumn("shipping_price_minor", "bigint")
    .addColumn("promotion_discount_minor", "bigint")
    .addColumn("created_at", "varchar(32)", (col) => col.notNull())
    .addColumn("updated_at", "varchar(32)", (col) => col.notNull())
    .addPrimaryKeyConstraint("order_items_pk", ["order_id", "item_key"])
    .execute();
  await db.schema
    .createIndex("order_items_account_sku")
    .on("order_items")
    .columns(["account_id", "sku"])
    .execute();

  // FBM buyer and recipient data. Every value column is sealed (sp1:v<n>:...) under the account's data key,
  // bound to (account, table, column, order id); see src/db/sealed-columns.ts.
  await db.schema
    .createTable("order_buyer_pii")
    .addColumn("order_id", "varchar(64)", (col) =>
      col.primaryKey().references("orders.id").onDelete("cascade"),
    )
    .addColumn("account_id", "varchar(64)", (col) => col.notNull().references(account).onDelete("cascade"))
    .addColumn("buyer_name", "text")
    .addColumn("ship_name", "text")
    .addColumn("address_line1", "text")
    .addColumn("address_line2", "text")
    .addColumn("address_line3", "text")
    .addColumn("city", "text")
    .addColumn("state_or_region", "text")
    .addColumn("postal_code", "text")
    .addColumn("country_code", "text")
    .addColumn("phone", "text")
    // Plain: retention needs them without a key. 30 days after delivery the row is purged.
    .addColumn("delivered_at", "varchar(32)")
    .addColumn("purge_after", "varchar(32)")
    .addColumn("created_at", "varchar(32)", (col) => col.notNull())
    .addColumn("updated_at", "varchar(32)", (col) => col.notNull())
    .execute();
  await db.schema
    .createIndex("order_buyer_pii_account")
    .on("order_buyer_pii")
    .columns(["account_id"])
    .execute();
  await db.schema
    .createIndex("order_buyer_pii_purge")
    .on("order_buyer_pii")
    .columns(["purge_after"])
    .execute();

  await db.schema
    .createTable("inventory_summaries")
    .addColumn("account_id", "varchar(64)", (col) => col.notNull().references(account).onDelete("cascade"))
    .addColumn("marketplace", "varchar(64)", (col) => col.notNull())
    .addColumn("sku", "varchar(200)", (col) => col.notNull())
    .addColumn("asin", "varchar(20)")
    .addColumn("fn_sku", "varchar(40)")
    .addColumn("product_name", "varchar(500)")
    .addColumn("condition", "varchar(40)")
    .addColumn("fulfillable_quantity", "integer", (col) => col.notNull())
    .addColumn("inbound_quantity", "integer", (col) => col.notNull())
    .addColumn("reserved_quantity", "integer", (col) => col.notNull())
    .addColumn("unfulfillable_quantity", "integer", (col) => col.notNull())
    .addColumn("total_quantity", "integer", (col) => col.notNull())
    .addColumn("last_updated_at", "varchar(32)", (col) => col.notNull())
    .addColumn("synced_at", "varchar(32)", (col) => col.notNull())
    .addPrimaryKeyConstraint("inventory_summaries_pk", ["account_id", "marketplace", "sku"])
    .execute();

  await db.schema
    .createTable("prices")
    .addColumn("account_id", "varchar(64)", (col) => col.notNull().references(account).onDelete("cascade"))
    .addColumn("marketplace", "varchar(64)", (col) => col.notNull())
    .addColumn("asin", "varchar(20)", (col) => col.notNull())
    .addColumn("sku", "varchar(200)")
    .addColumn("currency", "varchar(3)", (col) => col.notNull())
    .addColumn("own_price_minor", "bigint")
    .addColumn("buy_box_price_minor", "bigint")
    .addColumn("lowest_price_minor", "bigint")
    .addColumn("is_buy_box_winner", "integer")
    .addColumn("offer_count", "integer")
    .addColumn("as_of", "varchar(32)", (col) => col.notNull())
    .addColumn("synced_at", "varchar(32)", (col) => col.notNull())
    .addPrimaryKeyConstraint("prices_pk", ["account_id", "marketplace", "asin"])
    .execute();

  await db.schema
    .createTable("financial_events")
    .addColumn("account_id", "varchar(64)", (col) => col.notNull().references(account).onDelete("cascade"))
    // Finances v0 events carry no id: the writer derives a stable key from the event's content.
    .addColumn("event_key", "varchar(128)", (col) => col.notNull())
    .addColumn("event_type", "varchar(64)", (col) => col.notNull())
    .addColumn("posted_date", "varchar(32)", (col) => col.notNull())
    .addColumn("amazon_order_id", "varchar(64)")
    .addColumn("sku", "varchar(200)")
    .addColumn("fee_type", "varchar(64)")
    .addColumn("amount_minor", "bigint", (col) => col.notNull())
    .addColumn("currency", "varchar(3)", (col) => col.notNull())
    .addColumn("created_at", "varchar(32)", (col) => col.notNull())
    .addPrimaryKeyConstraint("financial_events_pk", ["account_id", "event_key"])
    .execute();
  await db.schema
    .createIndex("financial_events_account_posted")
    .on("financial_events")
    .columns(["account_id", "posted_date"])
    .execute();
  await db.schema
    .createIndex("financial_events_account_order")
    .on("financial_events")
    .columns(["account_id", "amazon_order_id"])
    .execute();

  await db.schema
    .createTable("sync_checkpoints")
    .addColumn("account_id", "varchar(64)", (col) => col.notNull().references(account).onDelete("cascade"))
    .addColumn("stream", "varchar(64)", (col) => col.notNull())
    .addColumn("cursor", "text")
    .addColumn("updated_at", "varchar(32)", (col) => col.notNull())
    .addColumn("last_success_at", "varchar(32)")
    .addColumn("last_error_code", "varchar(64)")
    .addColumn("last_error_at", "varchar(32)")
    .addColumn("throttled_count", "integer", (col) => col.notNull().defaultTo(0))
    .addPrimaryKeyConstraint("sync_checkpoints_pk", ["account_id", "stream"])
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  for (const table of [
    "sync_checkpoints",
    "financial_events",
    "prices",
    "inventory_summaries",
    "order_buyer_pii",
    "order_items",
    "orders",
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
