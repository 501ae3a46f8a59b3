import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import type { Database } from "../../src/db/database.js";
import { openPostgres, openSqlite } from "../../src/db/database.js";

/**
 * Every storage test runs on both stores. TEST_STORE picks them (sqlite | postgres | both, default both);
 * PostgreSQL needs TEST_DATABASE_URL. Locally a missing URL reports the PostgreSQL cases as skipped;
 * under CI it is an error, so CI can never pass by skipping them.
 */
export type StoreName = "sqlite" | "postgres";

const requested = (process.env.TEST_STORE ?? "both").toLowerCase();
if (!["sqlite", "postgres", "both"].includes(requested)) {
  throw new Error(`TEST_STORE must be sqlite, postgres or both (got ${requested})`);
}
const adminUrl = process.env.TEST_DATABASE_URL;
if (process.env.CI && requested !== "sqlite" && !adminUrl) {
  throw new Error(
    "CI runs the PostgreSQL storage tests: set TEST_DATABASE_URL (or TEST_STORE=sqlite for the SQLite pass)",
  );
}

export interface StoreTarget {
  name: StoreName;
  /** True when this target cannot run here (reported as skipped; never under CI). */
  skip: boolean;
}

export const STORES: readonly StoreTarget[] = [
  ...(requested === "postgres" ? [] : [{ name: "sqlite" as const, skip: false }]),
  ...(requested === "sqlite" ? [] : [{ name: "postgres" as const, skip: !adminUrl }]),
];

export interface TestStore {
  database: Database;
  /** SQLite: the database file. PostgreSQL: the fresh database's connection URL. */
  location: string;
  dispose(): Promise<void>;
}

export function tempDir(prefix = "sp-test-"): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A fresh PostgreSQL database on the TEST_DATABASE_URL server (optionally with an ICU locale); drop() removes it. */
export async function createPostgresDatabase(
  options: { icuLocale?: string } = {},
): Promise<{ url: string; drop(): Promise<void> }> {
  if (!adminUrl) throw new Error("TEST_DATABASE_URL is not set");
  const name = `sp_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const locale = options.icuLocale
      ? ` LOCALE_PROVIDER icu ICU_LOCALE '${options.icuLocale}' TEMPLATE template0`
      : "";
    await admin.query(`CREATE DATABASE ${name}${locale}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/** A fresh, empty store of the given kind; dispose() removes every trace of it. */
export async function openTestStore(name: StoreName, key: Buffer = randomBytes(32)): Promise<TestStore> {
  if (name === "sqlite") {
    const tmp = tempDir();
    const file = path.join(tmp.dir, "test.db");
    const database = await openSqlite(file, key);
    return {
      database,
      location: file,
      async dispose() {
        await database.close();
        tmp.remove();
      },
    };
  }
  const created = await createPostgresDatabase();
  const database = await openPostgres(created.url);
  return {
    database,
    location: created.url,
    async dispose() {
      await database.close();
      await created.drop();
    },
  };
}
