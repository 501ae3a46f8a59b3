import { randomBytes } from "node:crypto";
import { sql } from "kysely";
import { type AuditSigner, auditSigner } from "../../src/audit/audit-chain.js";
import { type AuditLog, type AuditLogOptions, createAuditLog } from "../../src/audit/audit-log.js";
import { masterKeyFromBytes } from "../../src/crypto/master-key.js";
import type { Database } from "../../src/db/database.js";
import { migrateToLatest } from "../../src/db/migrate.js";
import { ManualClock } from "../../src/platform/clock.js";
import { openTestStore, type StoreName, type TestStore } from "./stores.js";

export interface TestAuditLog {
  store: TestStore;
  database: Database;
  clock: ManualClock;
  signer: AuditSigner;
  log: AuditLog;
  /** Another log on the same store (same key), e.g. a second writer. */
  another(options?: AuditLogOptions, database?: Database): AuditLog;
  dispose(): Promise<void>;
}

/** A migrated store of one kind with the audit log on it, a manual clock and a fresh signing key. */
export async function openTestAuditLog(
  store: StoreName,
  options: AuditLogOptions = {},
): Promise<TestAuditLog> {
  const opened = await openTestStore(store);
  await migrateToLatest(opened.database.db);
  const clock = new ManualClock("2026-11-28T12:00:00.000Z");
  const signer = auditSigner(masterKeyFromBytes(randomBytes(32)));
  const make = (o: AuditLogOptions = options, database: Database = opened.database) =>
    createAuditLog({ database, clock, signer }, o);
  return {
    store: opened,
    database: opened.database,
    clock,
    signer,
    log: make(),
    another: (o, database) => make(o, database),
    dispose: () => opened.dispose(),
  };
}

const AUDIT_TABLES = ["audit_entries", "audit_checkpoints"] as const;

/**
 * Runs raw tampering with the audit tables' triggers out of the way, then puts them back exactly as the
 * migration made them. PostgreSQL: ALTER TABLE ... DISABLE/ENABLE TRIGGER USER (the test role owns the
 * tables). SQLite has no way to disable a trigger: its CREATE TRIGGER statements are read from
 * sqlite_master, dropped, and re-run afterwards.
 */
export async function withoutAuditTriggers(
  database: Database,
  tamper: () => Promise<unknown>,
): Promise<void> {
  const { db } = database;
  if (database.kind === "postgres") {
    for (const t of AUDIT_TABLES) await sql.raw(`ALTER TABLE ${t} DISABLE TRIGGER USER`).execute(db);
    try {
      await tamper();
    } finally {
      for (const t of AUDIT_TABLES) await sql.raw(`ALTER TABLE ${t} ENABLE TRIGGER USER`).execute(db);
    }
    return;
  }
  const { rows } = await sql<{ name: string; sql: string }>`
    SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name LIKE 'audit_%'`.execute(db);
  for (const r of rows) await sql.raw(`DROP TRIGGER ${r.name}`).execute(db);
  try {
    await tamper();
  } finally {
    for (const r of rows) await sql.raw(r.sql).execute(db);
  }
}
