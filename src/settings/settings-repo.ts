import type { Kysely } from "kysely";
import type { DB } from "../db/schema.js";

/** Instance-wide settings (not Amazon Information): instance id, first start, and later operator choices. */
export async function getSetting(db: Kysely<DB>, key: string): Promise<string | null> {
  const row = await db
    .selectFrom("instance_settings")
    .select("value")
    .where("key", "=", key)
    .executeTakeFirst();
  return row?.value ?? null;
}

export async function putSetting(db: Kysely<DB>, key: string, value: string, now: Date): Promise<void> {
  await db
    .insertInto("instance_settings")
    .values({ key, value, updated_at: now.toISOString() })
    .onConflict((oc) => oc.column("key").doUpdateSet({ value, updated_at: now.toISOString() }))
    .execute();
}

/** Inserts only when absent; returns the value that is stored afterwards (first writer wins). */
export async function putSettingIfAbsent(
  db: Kysely<DB>,
  key: string,
  value: string,
  now: Date,
): Promise<string> {
  await db
    .insertInto("instance_settings")
    .values({ key, value, updated_at: now.toISOString() })
    .onConflict((oc) => oc.column("key").doNothing())
    .execute();
  return (await getSetting(db, key)) ?? value;
}
