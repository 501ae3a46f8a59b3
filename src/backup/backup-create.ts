import { promises as fs } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { type Kysely, sql, type Transaction } from "kysely";
import type { AuditSink } from "../audit/audit-sink.js";
import type { Config } from "../config/config.js";
import type { MasterKey } from "../crypto/master-key.js";
import { type Database, openSqlite, type StoreKind } from "../db/database.js";
import type { DB } from "../db/schema.js";
import { BACKUP_TABLES } from "../db/tables.js";
import type { Clock } from "../platform/clock.js";
import { AppError, isAppError } from "../platform/errors.js";
import { newId } from "../platform/ids.js";
import { type ArchiveHeader, DEFAULT_CHUNK_SIZE } from "./archive-format.js";
import { ArchiveEncryptor } from "./archive-writer.js";
import { type BackupKeyDeps, newBackupKey } from "./backup-keys.js";
import { completeBackup, forgetBackup, insertBackup } from "./backups-repo.js";
import { encodeRows, manifestLine, TableDigest, type TableManifest, tableLine } from "./payload.js";
import { appliedMigrations, describeTable, inSnapshot, TableReader } from "./table-reader.js";

export type Progress = (phase: string, done: number, total: number | null) => void;

export interface BackupCreateDeps extends Omit<BackupKeyDeps, "master"> {
  config: Pick<Config, "database">;
  master: { key: MasterKey };
  database: Pick<Database, "db" | "kind">;
  clock: Clock;
  audit: AuditSink;
}

export interface BackupResult {
  id: string;
  file: string;
  createdAt: string;
  store: StoreKind;
  kekVersion: number;
  migrations: string[];
  bytes: number;
  /** SHA-256 of the archive file (hex): compare copies with it; the catalog keeps it too. */
  sha256: string;
  tables: TableManifest;
}

export interface CreateOptions {
  onProgress?: Progress;
  /** false: not recorded in the catalog (a drill's throw-away archive must not pin a KEK version). */
  register?: boolean;
  chunkSize?: number;
}

/**
 * SQLite: a connection of its own, read-only, so the app's single connection keeps serving while the
 * backup holds its snapshot (WAL lets one writer and many readers run together). PostgreSQL: the pool.
 */
async function openSnapshotSource(
  deps: BackupCreateDeps,
): Promise<{ db: Kysely<DB>; close(): Promise<void> }> {
  const store = deps.config.database;
  if (deps.database.kind !== "sqlite" || store.kind !== "sqlite")
    return { db: deps.database.db, close: async () => undefined };
  const key = deps.master.key.derive("database");
  let source: Database;
  try {
    source = await openSqlite(store.file, key);
  } finally {
    key.fill(0);
  }
  await sql`PRAGMA query_only = ON`.execute(source.db);
  return { db: source.db, close: () => source.close() };
}

/** For progress only: SQLite counts from the key index (cheap); PostgreSQL's planner estimate avoids a scan. */
async function approximateRows(trx: Transaction<DB>, kind: StoreKind, table: string): Promise<number> {
  const { rows } =
    kind === "sqlite"
      ? await sql<{ n: number }>`SELECT count(*) AS n FROM ${sql.table(table)}`.execute(trx)
      : await sql<{ n: number }>`
          SELECT greatest(reltuples, 0)::bigint AS n FROM pg_class WHERE oid = to_regclass(${table})`.execute(
          trx,
        );
  return Number(rows[0]?.n ?? 0);
}

async function* exportTables(
  trx: Transaction<DB>,
  kind: StoreKind,
  manifest: Record<string, { rows: number; sha256: string }>,
  progress: Progress,
): AsyncGenerator<Buffer> {
  for (const spec of BACKUP_TABLES) {
    const shape = await describeTable(trx, kind, spec.name);
    const total = await approximateRows(trx, kind, spec.name);
    const phase = `exporting ${spec.name}`;
    progress(phase, 0, total);
    const digest = new TableDigest(spec.name, shape.columns);
    yield Buffer.from(tableLine(spec.name, shape.columns), "utf8");
    const reader = new TableReader(trx, kind, spec, shape);
    let hint = 64 * 1024;
    for await (const rows of reader.batches()) {
      const bytes = encodeRows(rows, shape.columns, hint);
      hint = bytes.length + (bytes.length >> 3);
      digest.update(bytes, rows.length);
      reader.adapt(rows.length, bytes.length);
      progress(phase, digest.rows, Math.max(total, digest.rows));
      yield bytes;
    }
    manifest[spec.name] = digest.result();
  }
  yield Buffer.from(manifestLine(manifest), "utf8");
}

async function openNewFile(file: string): Promise<fs.FileHandle> {
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    return await fs.open(file, "wx", 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "unknown";
    const message =
      code === "EEXIST"
        ? `${file} already exists; a backup never overwrites a file.`
        : `Cannot create ${file} (${code}).`;
    throw new AppError("VALIDATION_FAILED", message, { cause: err });
  }
}

async function syncFile(file: string): Promise<void> {
  const handle = await fs.open(file, "r+");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Makes the new directory entry durable too (the file's own fsync does not cover it). */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await fs.open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes encrypted, verifiable backups of the data store (never the vault: restoring one needs the live vault's keys). */
export function createBackupExporter(deps: BackupCreateDeps) {
  async function create(outFile: string, options: CreateOptions = {}): Promise<BackupResult> {
    const progress = options.onProgress ?? (() => undefined);
    const id = newId();
    const createdAt = deps.clock.now().toISOString();
    const file = path.resolve(outFile);
    let handle: fs.FileHandle | null = null;
    let registered = false;
    let key: Buffer | null = null;
    try {
      const generated = await newBackupKey(deps, id);
      const { kek, wrapped } = generated;
      key = generated.key;
      const dataKey = key;
      handle = await openNewFile(file);
      if (options.register !== false) {
        await insertBackup(deps.database.db, { id, file, createdAt, kekVersion: kek.version });
        registered = true;
        // Closes the race with a rotation that retired the KEK between current() and the insert.
        await deps.keyring.byVersion(deps.keystore, kek.version);
      }
      const out = handle;
      const source = await openSnapshotSource(deps);
      let written: Omit<BackupResult, "file" | "bytes" | "sha256"> & { bytes: number; sha256: string };
      try {
        written = await inSnapshot(source.db, deps.database.kind, async (trx) => {
          const migrations = await appliedMigrations(trx);
          const header: ArchiveHeader = {
            format: "seller-pilot-backup",
            backupId: id,
            createdAt,
            store: deps.database.kind,
            migrations,
            kekVersion: kek.version,
            provider: deps.provider.kind,
            wrappedKey: wrapped.toString("base64"),
            masterKeyFingerprint: deps.master.key.fingerprint,
            cipher: "AES-256-GCM",
            chunkSize: options.chunkSize ?? DEFAULT_CHUNK_SIZE,
          };
          const tables: Record<string, { rows: number; sha256: string }> = {};
          const encryptor = new ArchiveEncryptor(header, dataKey);
          await pipeline(
            Readable.from(exportTables(trx, deps.database.kind, tables, progress), {
              objectMode: false,
              highWaterMark: 1024 * 1024,
            }),
            encryptor,
            // The stream owns the handle and closes it (a FileHandle stream that does not close its
            // handle keeps a reference that makes handle.close() wait forever).
            out.createWriteStream(),
          );
          const { bytes, sha256 } = encryptor.summary;
          return {
            id,
            createdAt,
            store: deps.database.kind,
            kekVersion: kek.version,
            migrations,
            tables,
            bytes,
            sha256,
          };
        });
      } finally {
        await source.close();
      }
      handle = null;
      await syncFile(file);
      await syncDirectory(path.dirname(file));
      if (registered)
        await completeBackup(deps.database.db, id, { sizeBytes: written.bytes, sha256: written.sha256 });
      await deps.audit.record({
        action: "backup.create",
        actor: "backup",
        outcome: "success",
        target: { backup: id, kek: String(kek.version) },
      });
      return { ...written, file };
    } catch (err) {
      if (handle) {
        // Already closed by its stream unless the failure came before the pipeline started.
        await handle.close().catch(() => undefined);
        await fs.rm(file, { force: true });
      }
      if (registered) await forgetBackup(deps.database.db, id).catch(() => undefined);
      await deps.audit.record({
        action: "backup.create",
        actor: "backup",
        outcome: "failure",
        target: { backup: id },
        reason: isAppError(err) ? err.code : "INTERNAL",
      });
      throw err;
    } finally {
      key?.fill(0);
    }
  }

  return { create };
}

export type BackupExporter = ReturnType<typeof createBackupExporter>;
