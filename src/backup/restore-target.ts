import { promises as fs } from "node:fs";
import path from "node:path";
import { type Kysely, sql } from "kysely";
import type { MasterKey } from "../crypto/master-key.js";
import { type Database, openPostgres, openSqlite, type StoreKind } from "../db/database.js";
import type { DB } from "../db/schema.js";
import { MIGRATION_BOOKKEEPING_TABLES, TABLES } from "../db/tables.js";
import { AppError } from "../platform/errors.js";
import { syncDirectory } from "./backup-create.js";

export type RestoreTarget = { kind: "sqlite"; dir: string } | { kind: "postgres"; url: string };

/** The restored store's file name inside a target directory (what SELLER_PILOT_DATA_DIR expects). */
export const RESTORED_DB_FILE = "seller-pilot.db";

export interface PreparedTarget {
  db: Kysely<DB>;
  kind: StoreKind;
  /** Where the data went, safe to print: a file path, or a PostgreSQL URL without its password. */
  location: string;
  /** Makes the restore visible (SQLite: the finished file takes its final name). */
  commit(): Promise<void>;
  /** Leaves the target as it was before the restore began. */
  abort(): Promise<void>;
}

/** postgres://user:***@host/db: for messages and reports; the password never leaves the URL object. */
export function describePostgresUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "postgres://(unparseable URL)";
  }
}

function notEmpty(message: string): AppError {
  return new AppError("RESTORE_TARGET_NOT_EMPTY", `${message} Nothing was changed.`);
}

async function prepareDirectory(dirArg: string, master: Pick<MasterKey, "derive">): Promise<PreparedTarget> {
  const dir = path.resolve(dirArg);
  let created = false;
  try {
    const entries = await fs.readdir(dir);
    if (entries.length > 0) throw notEmpty(`${dir} is not empty.`);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOTDIR") throw notEmpty(`${dir} is a file, not a directory.`);
    if (code !== "ENOENT") throw err;
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    created = true;
  }
  // Built under a temporary name and renamed when complete: a half-restored store never looks finished.
  const temp = path.join(dir, `.${RESTORED_DB_FILE}.restoring`);
  const final = path.join(dir, RESTORED_DB_FILE);
  const key = master.derive("database");
  let database: Database;
  try {
    database = await openSqlite(temp, key);
  } finally {
    key.fill(0);
  }
  let open = true;
  const close = async () => {
    if (!open) return;
    open = false;
    await database.close();
  };
  return {
    db: database.db,
    kind: "sqlite",
    location: final,
    async commit() {
      await database.checkpoint();
      await close();
      await fs.rename(temp, final);
      await syncDirectory(dir);
    },
    async abort() {
      await close().catch(() => undefined);
      for (const suffix of ["", "-wal", "-shm"]) await fs.rm(`${temp}${suffix}`, { force: true });
      if (created) await fs.rmdir(dir).catch(() => undefined);
    },
  };
}

async function preparePostgres(url: string): Promise<PreparedTarget> {
  const database = await openPostgres(url, 2);
  try {
    const { rows } = await sql<{ n: number }>`
      SELECT count(*) AS n FROM information_schema.tables
      WHERE table_schema NOT IN ('pg_catalog', 'information_schema')`.execute(database.db);
    if (Number(rows[0]?.n ?? 0) > 0) throw notEmpty("The target PostgreSQL database already has tables.");
  } catch (err) {
    await database.close();
    throw err;
  }
  return {
    db: database.db,
    kind: "postgres",
    location: describePostgresUrl(url),
    async commit() {
      await database.close();
    },
    async abort() {
      // The database was empty when we began: drop exactly the tables a restore creates.
      try {
        for (const name of [...TABLES.map((t) => t.name), ...MIGRATION_BOOKKEEPING_TABLES]) {
          await sql`DROP TABLE IF EXISTS ${sql.table(name)} CASCADE`.execute(database.db);
        }
      } finally {
        await database.close();
      }
    },
  };
}

/** Checks the target is empty (else RESTORE_TARGET_NOT_EMPTY, untouched) and opens it for the restore. */
export function prepareTarget(
  target: RestoreTarget,
  master: Pick<MasterKey, "derive">,
): Promise<PreparedTarget> {
  return target.kind === "sqlite" ? prepareDirectory(target.dir, master) : preparePostgres(target.url);
}
