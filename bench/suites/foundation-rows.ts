/** Shared by the store and PostgreSQL benchmarks: the rows they write and the real repo write path. */
import { randomBytes } from "node:crypto";
import { type Kysely, sql } from "kysely";
import { openSqlite } from "../../src/db/database.js";
import type { DB } from "../../src/db/schema.js";
import { putSetting } from "../../src/settings/settings-repo.js";

export const NOW = new Date("2026-11-28T12:00:00.000Z");

export interface Row {
  key: string;
  value: string;
}

export function makeRows(count: number, valueChars: number): Row[] {
  const bytes = Math.ceil((valueChars * 3) / 4);
  return Array.from({ length: count }, (_, i) => ({
    key: `bench.row.${i.toString().padStart(6, "0")}`,
    value: randomBytes(bytes).toString("base64").slice(0, valueChars),
  }));
}

/** Fisher-Yates over the row indices: point reads in an order unrelated to insertion. */
export function shuffledIndices(count: number): number[] {
  const order = Array.from({ length: count }, (_, i) => i);
  for (let i = count - 1; i > 0; i--) {
    const j = randomBytes(4).readUInt32LE() % (i + 1);
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  return order;
}

export function perSecond(count: number, startedMs: number): number {
  return count / ((performance.now() - startedMs) / 1000);
}

/** The real write path: putSetting upserts through Kysely, `batch` rows per transaction. */
export async function writeThroughRepo(db: Kysely<DB>, rows: readonly Row[], batch: number): Promise<number> {
  const started = performance.now();
  for (let start = 0; start < rows.length; start += batch) {
    const slice = rows.slice(start, start + batch);
    await db.transaction().execute(async (trx) => {
      for (const row of slice) await putSetting(trx, row.key, row.value, NOW);
    });
  }
  return perSecond(rows.length, started);
}

export async function countRows(db: Kysely<DB>): Promise<number> {
  const { rows } = await sql<{ n: number }>`SELECT count(*) AS n FROM instance_settings`.execute(db);
  return Number(rows[0]?.n ?? -1);
}

export interface OpenedStore {
  db: Kysely<DB>;
  close(): Promise<void>;
}

/** Our store as the app opens it: SQLCipher AES-256 with a random raw key, WAL, secure_delete. */
export async function openEncrypted(file: string): Promise<OpenedStore> {
  const key = randomBytes(32);
  try {
    const database = await openSqlite(file, key);
    return { db: database.db, close: () => database.close() };
  } finally {
    key.fill(0);
  }
}
