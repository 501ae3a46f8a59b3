// Store: our real path (SQLCipher + Kysely + settings repo) against a plain prepared-statement handle.
import { readFileSync } from "node:fs";
import path from "node:path";
import SqliteDatabase from "better-sqlite3-multiple-ciphers";
import { Kysely, SqliteDialect } from "kysely";
import { migrateToLatest } from "../../src/db/migrate.js";
import type { DB } from "../../src/db/schema.js";
import { getSetting } from "../../src/settings/settings-repo.js";
import { tempDir } from "../lib/fixtures.js";
import { interleave, type Sample, type Side, series } from "../lib/interleave.js";
import type { Progress } from "../lib/progress.js";
import { type Measurement, measurement } from "../lib/report.js";
import {
  countRows,
  makeRows,
  NOW,
  type OpenedStore,
  openEncrypted,
  perSecond,
  type Row,
  shuffledIndices,
  writeThroughRepo,
} from "./foundation-rows.js";

export const STORE = { rows: 20_000, batch: 500, valueChars: 200, rounds: 5 } as const;
const SQLITE_HEADER = "SQLite format 3\0";

async function readThroughRepo(
  db: Kysely<DB>,
  rows: readonly Row[],
  order: readonly number[],
): Promise<number> {
  const started = performance.now();
  for (const i of order) {
    const row = rows[i] as Row;
    if ((await getSetting(db, row.key)) !== row.value) throw new Error(`read back ${row.key}: wrong value`);
  }
  return perSecond(order.length, started);
}

function fileHeader(file: string): string {
  return readFileSync(file).subarray(0, SQLITE_HEADER.length).toString("latin1");
}

/** No key: plain SQLite pages. Same journal and sync pragmas as openSqliteHandle, nothing else. */
function openUnencryptedHandle(file: string): InstanceType<typeof SqliteDatabase> {
  const handle = new SqliteDatabase(file);
  handle.pragma("journal_mode = WAL");
  handle.pragma("synchronous = NORMAL");
  return handle;
}

async function openUnencryptedRepo(file: string): Promise<OpenedStore> {
  const db = new Kysely<DB>({ dialect: new SqliteDialect({ database: openUnencryptedHandle(file) }) });
  return { db, close: () => db.destroy() };
}

/** One round of the repo path (putSetting / getSetting through Kysely) on a fresh store. */
async function repoRound(
  encrypted: boolean,
  rows: readonly Row[],
  order: readonly number[],
): Promise<Sample> {
  const tmp = tempDir();
  const file = path.join(tmp.dir, "bench.db");
  try {
    const store = await (encrypted ? openEncrypted(file) : openUnencryptedRepo(file));
    let writeRowsPerSec: number;
    let readRowsPerSec: number;
    try {
      await migrateToLatest(store.db);
      writeRowsPerSec = await writeThroughRepo(store.db, rows, STORE.batch);
      const stored = await countRows(store.db);
      if (stored !== rows.length) throw new Error(`store holds ${stored} rows, expected ${rows.length}`);
      readRowsPerSec = await readThroughRepo(store.db, rows, order);
    } finally {
      await store.close();
    }
    // Proof each side measures what it claims: a plaintext SQLite header on disk, or none.
    if ((fileHeader(file) === SQLITE_HEADER) === encrypted) {
      throw new Error(
        `the ${encrypted ? "encrypted" : "unencrypted"} store's file header is not as expected`,
      );
    }
    return { writeRowsPerSec, readRowsPerSec };
  } finally {
    tmp.remove();
  }
}

const UPSERT = `INSERT INTO instance_settings (key, value, updated_at) VALUES (?, ?, ?)
  ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`;

async function plainRound(rows: readonly Row[], order: readonly number[]): Promise<Sample> {
  const tmp = tempDir();
  const file = path.join(tmp.dir, "bench.db");
  try {
    const handle = openUnencryptedHandle(file);
    const kysely = new Kysely<DB>({ dialect: new SqliteDialect({ database: handle }) });
    let writeRowsPerSec: number;
    let readRowsPerSec: number;
    try {
      await migrateToLatest(kysely); // the very same schema
      const insert = handle.prepare(UPSERT);
      const nowIso = NOW.toISOString();
      const writeBatch = handle.transaction((slice: readonly Row[]) => {
        for (const row of slice) insert.run(row.key, row.value, nowIso);
      });
      const writeStarted = performance.now();
      for (let start = 0; start < rows.length; start += STORE.batch) {
        writeBatch(rows.slice(start, start + STORE.batch));
      }
      writeRowsPerSec = perSecond(rows.length, writeStarted);
      const stored = await countRows(kysely);
      if (stored !== rows.length)
        throw new Error(`plain store holds ${stored} rows, expected ${rows.length}`);

      const select = handle.prepare("SELECT value FROM instance_settings WHERE key = ?").pluck();
      const readStarted = performance.now();
      for (const i of order) {
        const row = rows[i] as Row;
        if (select.get(row.key) !== row.value) throw new Error(`read back ${row.key}: wrong value`);
      }
      readRowsPerSec = perSecond(order.length, readStarted);
    } finally {
      await kysely.destroy(); // closes the handle
    }
    if (fileHeader(file) !== SQLITE_HEADER) throw new Error("the plain baseline's file is not plain SQLite");
    return { writeRowsPerSec, readRowsPerSec };
  } finally {
    tmp.remove();
  }
}

export async function storeBenchmarks(progress: Progress): Promise<Record<string, Measurement>> {
  progress(
    `store: ${STORE.rows} rows of ${STORE.valueChars} chars, batches of ${STORE.batch}, ${STORE.rounds} rounds`,
  );
  const rows = makeRows(STORE.rows, STORE.valueChars);
  const order = shuffledIndices(rows.length);
  const warmRows = rows.slice(0, 2_000);
  const warmOrder = shuffledIndices(warmRows.length);
  const sides: Side[] = [
    { label: "encrypted", run: () => repoRound(true, rows, order) },
    { label: "plain", run: () => plainRound(rows, order) },
    { label: "plainRepo", run: () => repoRound(false, rows, order) },
  ];
  const warm: Record<string, () => Promise<Sample>> = {
    encrypted: () => repoRound(true, warmRows, warmOrder),
    plain: () => plainRound(warmRows, warmOrder),
    plainRepo: () => repoRound(false, warmRows, warmOrder),
  };
  const samples = await interleave({
    rounds: STORE.rounds,
    sides,
    progress,
    warmup: async (side) => {
      await warm[side.label]?.();
    },
  });
  return {
    storeWriteEncryptedRepo: measurement(
      "rows/s",
      "putSetting upserts via Kysely on openSqlite (SQLCipher AES-256, WAL, synchronous=NORMAL, secure_delete)",
      series(samples, "encrypted", "writeRowsPerSec"),
    ),
    storeWritePlain: measurement(
      "rows/s",
      "same upserts via one prepared statement on an unkeyed handle (WAL, synchronous=NORMAL)",
      series(samples, "plain", "writeRowsPerSec"),
    ),
    storeReadEncryptedRepo: measurement(
      "rows/s",
      "getSetting point reads by key via Kysely on the encrypted store, shuffled order",
      series(samples, "encrypted", "readRowsPerSec"),
    ),
    storeReadPlain: measurement(
      "rows/s",
      "same point reads via one prepared statement on the unkeyed handle",
      series(samples, "plain", "readRowsPerSec"),
    ),
    storeWritePlainRepo: measurement(
      "rows/s",
      "diagnostic: putSetting via Kysely on the unkeyed handle (WAL, synchronous=NORMAL): the repo without SQLCipher",
      series(samples, "plainRepo", "writeRowsPerSec"),
    ),
    storeReadPlainRepo: measurement(
      "rows/s",
      "diagnostic: getSetting via Kysely on the unkeyed handle",
      series(samples, "plainRepo", "readRowsPerSec"),
    ),
  };
}
