import { promises as fs } from "node:fs";
import path from "node:path";
import SqliteDatabase from "better-sqlite3-multiple-ciphers";
import { Kysely, PostgresDialect, sql } from "kysely";
import pg from "pg";
import type { DatabaseConfig } from "../config/config.js";
import type { MasterKey } from "../crypto/master-key.js";
import { AppError } from "../platform/errors.js";
import { FifoSqliteDialect } from "./fifo-sqlite-dialect.js";
import type { DB } from "./schema.js";
import { cachingStatements } from "./statement-cache.js";

export type StoreKind = DatabaseConfig["kind"];

export interface Database<T = DB> {
  db: Kysely<T>;
  kind: StoreKind;
  /** Checks the store answers a trivial query. */
  ping(): Promise<void>;
  /**
   * Makes deletions final on disk: SQLite folds the WAL into the (secure_delete) main file and truncates
   * the WAL; PostgreSQL needs nothing here (its own VACUUM reclaims space).
   */
  checkpoint(): Promise<void>;
  close(): Promise<void>;
}

type SqliteHandle = InstanceType<typeof SqliteDatabase>;

function isNotADatabase(err: unknown): boolean {
  return (err as { code?: unknown }).code === "SQLITE_NOTADB";
}

/**
 * Opens the embedded store: SQLCipher (AES-256, via SQLite3 Multiple Ciphers) keyed with a raw 256-bit
 * sub-key of the master key, so there is no passphrase KDF on open and no key text in any file.
 */
export async function openSqliteHandle(file: string, key: Buffer): Promise<SqliteHandle> {
  try {
    await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new AppError("DATA_DIR_UNUSABLE", `Cannot create the data directory ${path.dirname(file)}.`, {
      cause: err,
    });
  }
  let handle: SqliteHandle;
  try {
    handle = new SqliteDatabase(file);
  } catch (err) {
    throw new AppError("DATA_DIR_UNUSABLE", `Cannot open ${file}.`, { cause: err });
  }
  try {
    handle.pragma("cipher = 'sqlcipher'");
    handle.pragma("legacy = 4");
    handle.pragma(`key = "x'${key.toString("hex")}'"`);
    // The first read is where a wrong key shows itself.
    handle.prepare("SELECT count(*) AS n FROM sqlite_master").get();
  } catch (err) {
    handle.close();
    if (isNotADatabase(err)) throw new AppError("DB_KEY_MISMATCH", undefined, { cause: err });
    throw new AppError("DB_UNREACHABLE", `Cannot read ${file}.`, { cause: err });
  }
  try {
    handle.pragma("journal_mode = WAL");
    handle.pragma("synchronous = NORMAL");
    handle.pragma("secure_delete = ON");
    handle.pragma("foreign_keys = ON");
    handle.pragma("busy_timeout = 5000");
    await fs.chmod(file, 0o600);
  } catch (err) {
    handle.close();
    throw new AppError("DB_UNREACHABLE", `Cannot configure ${file}.`, { cause: err });
  }
  return handle;
}

export async function openSqlite<T = DB>(file: string, key: Buffer): Promise<Database<T>> {
  const handle = await openSqliteHandle(file, key);
  const db = new Kysely<T>({ dialect: new FifoSqliteDialect({ database: cachingStatements(handle) }) });
  return {
    db,
    kind: "sqlite",
    async ping() {
      await sql`SELECT 1`.execute(db);
    },
    async checkpoint() {
      await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(db);
    },
    async close() {
      await db.destroy();
    },
  };
}

const INT8_OID = 20;

export async function openPostgres<T = DB>(url: string, poolSize = 10): Promise<Database<T>> {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    connectionTimeoutMillis: 10_000,
    // Counts and sums come back as int8; they fit a JS number for every table we keep.
    types: {
      getTypeParser: ((oid: number, format?: "text" | "binary") =>
        oid === INT8_OID
          ? (value: string) => Number(value)
          : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client losing its connection must not crash the process; the next query reports it.
  pool.on("error", () => undefined);
  const db = new Kysely<T>({ dialect: new PostgresDialect({ pool }) });
  const ping = async () => {
    await sql`SELECT 1`.execute(db);
  };
  try {
    await ping();
  } catch (err) {
    await db.destroy();
    // The URL carries a password: name the store, never the URL.
    throw new AppError("DB_UNREACHABLE", "PostgreSQL (DATABASE_URL) cannot be reached.", { cause: err });
  }
  return {
    db,
    kind: "postgres",
    ping,
    async checkpoint() {},
    async close() {
      await db.destroy();
    },
  };
}

export async function openDatabase(config: DatabaseConfig, masterKey: MasterKey): Promise<Database> {
  if (config.kind === "postgres") return openPostgres(config.url);
  const key = masterKey.derive("database");
  try {
    return await openSqlite(config.file, key);
  } finally {
    key.fill(0);
  }
}
