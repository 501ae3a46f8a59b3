// PostgreSQL (only with TEST_DATABASE_URL): the same repo writes against the encrypted SQLite store.
import { randomBytes } from "node:crypto";
import path from "node:path";
import { sql } from "kysely";
import pg from "pg";
import { openPostgres } from "../../src/db/database.js";
import { migrateToLatest } from "../../src/db/migrate.js";
import { tempDir } from "../lib/fixtures.js";
import { interleave, type Sample, series } from "../lib/interleave.js";
import type { Progress } from "../lib/progress.js";
import { type Measurement, measurement } from "../lib/report.js";
import { countRows, makeRows, openEncrypted, type Row, writeThroughRepo } from "./foundation-rows.js";
import { STORE } from "./foundation-store.js";

export const POSTGRES = { rows: 20_000, batch: 500, rounds: 3 } as const;

async function withFreshPostgres<T>(adminUrl: string, use: (url: string) => Promise<T>): Promise<T> {
  const name = `sp_bench_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  try {
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    return await use(url.toString());
  } finally {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    } finally {
      await client.end();
    }
  }
}

async function sqliteWriteRound(rows: readonly Row[]): Promise<Sample> {
  const tmp = tempDir();
  try {
    const store = await openEncrypted(path.join(tmp.dir, "bench.db"));
    try {
      await migrateToLatest(store.db);
      return { writeRowsPerSec: await writeThroughRepo(store.db, rows, POSTGRES.batch) };
    } finally {
      await store.close();
    }
  } finally {
    tmp.remove();
  }
}

export async function postgresBenchmarks(
  adminUrl: string,
  progress: Progress,
): Promise<Record<string, Measurement>> {
  progress(`postgres: ${POSTGRES.rows} rows, batches of ${POSTGRES.batch}, ${POSTGRES.rounds} rounds`);
  const rows = makeRows(POSTGRES.rows, STORE.valueChars);
  return withFreshPostgres(adminUrl, async (url) => {
    const database = await openPostgres(url);
    try {
      await migrateToLatest(database.db);
      const postgresRound = async (subset: readonly Row[]): Promise<Sample> => {
        await sql`TRUNCATE instance_settings`.execute(database.db);
        const writeRowsPerSec = await writeThroughRepo(database.db, subset, POSTGRES.batch);
        const stored = await countRows(database.db);
        if (stored !== subset.length)
          throw new Error(`postgres holds ${stored} rows, expected ${subset.length}`);
        return { writeRowsPerSec };
      };
      const warmRows = rows.slice(0, 1_000);
      const samples = await interleave({
        rounds: POSTGRES.rounds,
        sides: [
          { label: "postgres", run: () => postgresRound(rows) },
          { label: "sqlite", run: () => sqliteWriteRound(rows) },
        ],
        progress,
        warmup: async (side) => {
          await (side.label === "postgres" ? postgresRound(warmRows) : sqliteWriteRound(warmRows));
        },
      });
      return {
        postgresWriteRepo: measurement(
          "rows/s",
          "putSetting upserts via Kysely on openPostgres (pool of 10, TCP), batches of 500 per transaction",
          series(samples, "postgres", "writeRowsPerSec"),
        ),
        sqliteWriteRepo: measurement(
          "rows/s",
          "the same upserts via Kysely on openSqlite (encrypted), interleaved with the PostgreSQL rounds",
          series(samples, "sqlite", "writeRowsPerSec"),
        ),
      };
    } finally {
      await database.close();
    }
  });
}
