import path from "node:path";
import { type Migration, sql, type Transaction } from "kysely";
import type { AuditSink } from "../audit/audit-sink.js";
import type { MasterKey } from "../crypto/master-key.js";
import type { StoreKind } from "../db/database.js";
import { DATA_MIGRATIONS, migrateToLatest } from "../db/migrate.js";
import type { DB } from "../db/schema.js";
import { tableSpec } from "../db/tables.js";
import { AppError, isAppError } from "../platform/errors.js";
import { openArchive } from "./archive-source.js";
import type { Progress } from "./backup-create.js";
import { type BackupKeyDeps, backupKeyOpener } from "./backup-keys.js";
import { decodeValue, encodeRows, TableDigest, type TableManifest } from "./payload.js";
import { type PreparedTarget, prepareTarget, type RestoreTarget } from "./restore-target.js";
import { describeTable, TableReader } from "./table-reader.js";

export interface RestoreResult {
  id: string;
  createdAt: string;
  /** The store the backup was taken from and the one it went into (they may differ). */
  source: StoreKind;
  target: StoreKind;
  location: string;
  migrations: string[];
  /** Rows and digests read back from the restored store; equal to the backup's manifest. */
  tables: TableManifest;
}

export interface BackupRestoreDeps extends Omit<BackupKeyDeps, "master"> {
  master: { key: MasterKey };
  audit: AuditSink;
}

/** SQLite allows 32766 bound values per statement, PostgreSQL 65535: stay under both. */
const MAX_PARAMS = 30_000;
const MAX_ROWS_PER_INSERT = 1_000;

/** The migrations this build knows, up to and including the backup's last one; its schema, not ours. */
function migrationsUpTo(applied: readonly string[]): Record<string, Migration> {
  const known = Object.keys(DATA_MIGRATIONS.migrations).sort();
  const prefix = known.slice(0, applied.length);
  if (applied.length === 0 || prefix.join("\n") !== applied.join("\n")) {
    throw new AppError(
      "BACKUP_MALFORMED",
      `The backup's schema (${applied.at(-1) ?? "none"}) is not one this version of Seller Pilot can restore; use the version that wrote it or a newer one.`,
    );
  }
  return Object.fromEntries(prefix.map((name) => [name, DATA_MIGRATIONS.migrations[name] as Migration]));
}

async function insertRows(
  trx: Transaction<DB>,
  table: string,
  columns: readonly string[],
  rows: readonly unknown[][],
): Promise<void> {
  const perStatement = Math.max(1, Math.min(MAX_ROWS_PER_INSERT, Math.floor(MAX_PARAMS / columns.length)));
  const cols = sql.join(columns.map((c) => sql.ref(c)));
  for (let start = 0; start < rows.length; start += perStatement) {
    const slice = rows.slice(start, start + perStatement);
    const values = slice.map((row) => sql`(${sql.join(row.map(decodeValue))})`);
    await sql`INSERT INTO ${sql.table(table)} (${cols}) VALUES ${sql.join(values)}`.execute(trx);
  }
}

/** Reads a restored table back the way a backup reads it, so its digest is comparable with the manifest. */
async function readBack(trx: Transaction<DB>, kind: StoreKind, table: string, columns: readonly string[]) {
  const spec = tableSpec(table);
  if (!spec) throw new AppError("BACKUP_MALFORMED", `The backup holds an unknown table ${table}.`);
  const shape = await describeTable(trx, kind, table);
  const digest = new TableDigest(table, columns);
  const reader = new TableReader(trx, kind, spec, { columns: [...columns], collatable: shape.collatable });
  for await (const rows of reader.batches()) {
    const bytes = encodeRows(rows, columns);
    digest.update(bytes, rows.length);
    reader.adapt(rows.length, bytes.length);
  }
  return digest.result();
}

/**
 * Restores a backup into an empty target: a directory (a new SQLCipher store keyed from this instance's
 * master key) or an empty PostgreSQL database. The target is migrated to the backup's own schema, rows are
 * inserted in one transaction, and each table is read back and checked against the manifest before it
 * commits; on any failure the target is left as it was. Sealed values stay sealed: they open only with
 * the live vault's data keys, so accounts deleted since the backup stay unreadable (crypto-shredding).
 */
export function createBackupRestorer(deps: BackupRestoreDeps) {
  async function restore(
    file: string,
    target: RestoreTarget,
    options: { onProgress?: Progress } = {},
  ): Promise<RestoreResult> {
    const progress = options.onProgress ?? (() => undefined);
    let id = "unknown";
    try {
      const archive = await openArchive(path.resolve(file), backupKeyOpener(deps));
      id = archive.header.backupId;
      try {
        const migrations = migrationsUpTo(archive.header.migrations);
        const prepared: PreparedTarget = await prepareTarget(target, deps.master.key);
        try {
          await migrateToLatest(prepared.db, { migrations, table: DATA_MIGRATIONS.table });
          const tables = await prepared.db.transaction().execute(async (trx) => {
            const columnsOf = new Map<string, string[]>();
            let manifest: TableManifest = {};
            await archive.read(async (events, bytesRead) => {
              let current: { table: string; columns: string[] } | null = null;
              let reported = -1;
              for await (const event of events) {
                if (event.kind === "table") {
                  const spec = tableSpec(event.table);
                  if (!spec?.backup.include)
                    throw new AppError(
                      "BACKUP_MALFORMED",
                      `The backup holds an unknown table ${event.table}.`,
                    );
                  const shape = await describeTable(trx, prepared.kind, event.table);
                  if (shape.columns.join("\n") !== event.columns.join("\n"))
                    throw new AppError(
                      "BACKUP_MALFORMED",
                      `Table ${event.table} does not match the backup's schema.`,
                    );
                  current = { table: event.table, columns: event.columns };
                  columnsOf.set(event.table, event.columns);
                } else if (event.kind === "rows" && current) {
                  await insertRows(trx, current.table, current.columns, event.rows);
                } else if (event.kind === "end") {
                  manifest = event.manifest;
                }
                if (bytesRead() !== reported) {
                  reported = bytesRead();
                  progress("restoring", reported, archive.size);
                }
              }
            });
            const restored: Record<string, { rows: number; sha256: string }> = {};
            for (const [table, columns] of columnsOf) {
              progress("checking", Object.keys(restored).length, columnsOf.size);
              const got = await readBack(trx, prepared.kind, table, columns);
              const want = manifest[table];
              if (!want || want.rows !== got.rows || want.sha256 !== got.sha256)
                throw new AppError(
                  "BACKUP_CHECKSUM_MISMATCH",
                  `Restored table ${table} does not match the backup manifest.`,
                );
              restored[table] = got;
            }
            progress("checking", columnsOf.size, columnsOf.size);
            return restored;
          });
          await prepared.commit();
          await deps.audit.record({
            action: "backup.restore",
            actor: "backup",
            outcome: "success",
            target: { backup: id, store: prepared.kind },
          });
          return {
            id,
            createdAt: archive.header.createdAt,
            source: archive.header.store,
            target: prepared.kind,
            location: prepared.location,
            migrations: archive.header.migrations,
            tables,
          };
        } catch (err) {
          await prepared.abort();
          throw err;
        }
      } finally {
        archive.close();
      }
    } catch (err) {
      await deps.audit.record({
        action: "backup.restore",
        actor: "backup",
        outcome: "failure",
        target: { backup: id },
        reason: isAppError(err) ? err.code : "INTERNAL",
      });
      throw err;
    }
  }

  return { restore };
}

export type BackupRestorer = ReturnType<typeof createBackupRestorer>;
