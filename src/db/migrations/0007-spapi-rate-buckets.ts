import type { Kysely } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: migrations describe the schema as it was, not as it is
type AnyDb = Kysely<any>;

/**
 * SP-API token buckets shared by every worker process on PostgreSQL (src/amazon/rate-limiter.ts): one row per
 * (seller account, operation), updated with one atomic INSERT ... ON CONFLICT DO UPDATE ... RETURNING, so
 * processes together never send more than Amazon's rate. Times are the clock's epoch milliseconds.
 */
export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable("spapi_rate_buckets")
    .addColumn("bucket_key", "varchar(255)", (col) => col.primaryKey())
    .addColumn("tokens", "double precision", (col) => col.notNull())
    .addColumn("rate", "double precision", (col) => col.notNull())
    .addColumn("burst", "integer", (col) => col.notNull())
    .addColumn("updated_ms", "bigint", (col) => col.notNull())
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable("spapi_rate_buckets").execute();
}
