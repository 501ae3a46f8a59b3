import { sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { openTestStore, STORES, type TestStore } from "../../test/support/stores.js";
import type { StoreKind } from "./database.js";
import { migrateToLatest } from "./migrate.js";
import type { DB } from "./schema.js";
import { BACKUP_TABLES, MIGRATION_BOOKKEEPING_TABLES, TABLES } from "./tables.js";

const open: TestStore[] = [];
afterEach(async () => {
  for (const store of open.splice(0)) await store.dispose();
});

async function tablesIn(store: TestStore, kind: StoreKind): Promise<string[]> {
  const { db } = store.database;
  const query =
    kind === "sqlite"
      ? sql<{
          name: string;
        }>`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
      : sql<{ name: string }>`SELECT table_name AS name FROM information_schema.tables
          WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`;
  return (await query.execute(db)).rows.map((r) => r.name).sort();
}

async function primaryKey(store: TestStore, kind: StoreKind, table: string): Promise<string[]> {
  const { db } = store.database;
  if (kind === "sqlite") {
    const { rows } = await sql<{ name: string; pk: number }>`
      SELECT name, pk FROM pragma_table_info(${table}) WHERE pk > 0 ORDER BY pk`.execute(db);
    return rows.map((r) => r.name);
  }
  const { rows } = await sql<{ name: string }>`
    SELECT a.attname AS name
    FROM pg_index i
    JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n) ON true
    JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
    WHERE i.indrelid = to_regclass(${table}) AND i.indisprimary
    ORDER BY k.n`.execute(db);
  return rows.map((r) => r.name);
}

for (const target of STORES) {
  describe.skipIf(target.skip)(`table registry on ${target.name}`, () => {
    it("lists every table the migrations create, with its real primary key", async () => {
      const store = await openTestStore(target.name);
      open.push(store);
      await migrateToLatest(store.database.db);
      const registered = [...TABLES.map((t) => t.name), ...MIGRATION_BOOKKEEPING_TABLES].sort();
      // A table a migration creates but TABLES does not list would be missing from every backup.
      expect(await tablesIn(store, target.name)).toEqual(registered);
      for (const spec of TABLES) {
        expect(await primaryKey(store, target.name, spec.name), spec.name).toEqual([...spec.primaryKey]);
      }
      if (target.name === "sqlite") {
        // Backups page through keys in SQLite's BINARY order, the order PostgreSQL's "C" collation gives:
        // a column declared with another collation would make the two stores disagree.
        const { rows } = await sql<{
          sql: string;
        }>`SELECT sql FROM sqlite_master WHERE type = 'table'`.execute(store.database.db);
        for (const row of rows) expect(row.sql).not.toMatch(/collate/i);
      }
    });
  });
}

describe("table registry", () => {
  it("backs up every table except the ones it says why not", () => {
    const excluded = TABLES.filter((t) => !t.backup.include);
    expect(excluded.map((t) => t.name)).toEqual([
      "connect_states",
      "backups",
      "webauthn_challenges",
      "sessions",
      "spapi_rate_buckets",
      "job_runs",
    ]);
    for (const t of excluded) expect(t.backup.include === false && t.backup.reason.length > 20).toBe(true);
    // Pinned on purpose: adding a table means deciding, here, whether backups carry it.
    expect(BACKUP_TABLES.map((t) => t.name)).toEqual([
      "instance_settings",
      "organisations",
      "seller_accounts",
      "deletion_receipts",
      "users",
      "memberships",
      "invitations",
      "access_reviews",
      "access_review_items",
      "pii_reveal_grants",
      "user_passwords",
      "password_history",
      "mfa_totp",
      "recovery_codes",
      "passkey_credentials",
      "login_failures",
      "api_tokens",
      "audit_entries",
      "audit_checkpoints",
      "orders",
      "order_items",
      "order_buyer_pii",
      "inventory_summaries",
      "prices",
      "financial_events",
      "sync_checkpoints",
      "job_schedules",
      "job_pauses",
      "incidents",
      "incident_events",
      "incident_evidence",
      "incident_detector_state",
      "legal_holds",
      "deletion_requests",
      "retention_runs",
    ]);
    const names: Array<keyof DB> = TABLES.map((t) => t.name);
    expect(new Set(names).size).toBe(names.length);
  });
});
