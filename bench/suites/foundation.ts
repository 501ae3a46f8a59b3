import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import https from "node:https";
import path from "node:path";
import type { TLSSocket } from "node:tls";
import { fileURLToPath } from "node:url";
import SqliteDatabase from "better-sqlite3-multiple-ciphers";
import { Kysely, SqliteDialect, sql } from "kysely";
import pg from "pg";
import { openPostgres, openSqlite } from "../../src/db/database.js";
import { migrateToLatest } from "../../src/db/migrate.js";
import type { DB } from "../../src/db/schema.js";
import { getSetting, putSetting } from "../../src/settings/settings-repo.js";
import { loadTest } from "../lib/autocannon.js";
import { type ChildServer, HEALTHZ_BODY, startChildServer } from "../lib/child-server.js";
import { benchCertificate, type CertificatePair, tempDir } from "../lib/fixtures.js";
import { interleave, type Sample, type Side, series } from "../lib/interleave.js";
import type { Progress } from "../lib/progress.js";
import { type Measurement, measurement, type Ratio, ratio, type SuiteOutput } from "../lib/report.js";
import type { Suite } from "../lib/suite.js";

const STORE = { rows: 20_000, batch: 500, valueChars: 200, rounds: 5 } as const;
const POSTGRES = { rows: 20_000, batch: 500, rounds: 3 } as const;
const HTTP = { connections: 50, durationSeconds: 5, warmupSeconds: 2, rounds: 3 } as const;

const NOW = new Date("2026-11-28T12:00:00.000Z");
const SQLITE_HEADER = "SQLite format 3\0";
const SERVER_ENTRY = fileURLToPath(new URL("../servers/https-target.ts", import.meta.url));

interface Row {
  key: string;
  value: string;
}

function makeRows(count: number, valueChars: number): Row[] {
  const bytes = Math.ceil((valueChars * 3) / 4);
  return Array.from({ length: count }, (_, i) => ({
    key: `bench.row.${i.toString().padStart(6, "0")}`,
    value: randomBytes(bytes).toString("base64").slice(0, valueChars),
  }));
}

/** Fisher-Yates over the row indices: point reads in an order unrelated to insertion. */
function shuffledIndices(count: number): number[] {
  const order = Array.from({ length: count }, (_, i) => i);
  for (let i = count - 1; i > 0; i--) {
    const j = randomBytes(4).readUInt32LE() % (i + 1);
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  return order;
}

function perSecond(count: number, startedMs: number): number {
  return count / ((performance.now() - startedMs) / 1000);
}

// ---------------------------------------------------------------------------------------------------------
// Store: our real path (SQLCipher + Kysely + settings repo) against a plain prepared-statement handle.

/** The real write path: putSetting upserts through Kysely, `batch` rows per transaction. */
async function writeThroughRepo(db: Kysely<DB>, rows: readonly Row[], batch: number): Promise<number> {
  const started = performance.now();
  for (let start = 0; start < rows.length; start += batch) {
    const slice = rows.slice(start, start + batch);
    await db.transaction().execute(async (trx) => {
      for (const row of slice) await putSetting(trx, row.key, row.value, NOW);
    });
  }
  return perSecond(rows.length, started);
}

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

async function countRows(db: Kysely<DB>): Promise<number> {
  const { rows } = await sql<{ n: number }>`SELECT count(*) AS n FROM instance_settings`.execute(db);
  return Number(rows[0]?.n ?? -1);
}

function fileHeader(file: string): string {
  return readFileSync(file).subarray(0, SQLITE_HEADER.length).toString("latin1");
}

interface OpenedStore {
  db: Kysely<DB>;
  close(): Promise<void>;
}

/** Our store as the app opens it: SQLCipher AES-256 with a random raw key, WAL, secure_delete. */
async function openEncrypted(file: string): Promise<OpenedStore> {
  const key = randomBytes(32);
  try {
    const database = await openSqlite(file, key);
    return { db: database.db, close: () => database.close() };
  } finally {
    key.fill(0);
  }
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

async function storeBenchmarks(progress: Progress): Promise<Record<string, Measurement>> {
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

// ---------------------------------------------------------------------------------------------------------
// PostgreSQL (only with TEST_DATABASE_URL): the same repo writes against the encrypted SQLite store.

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

async function postgresBenchmarks(
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

// ---------------------------------------------------------------------------------------------------------
// HTTPS: GET /healthz on the real app against a bare node:https server, each in its own process.

interface Preflight {
  protocol: string;
  cipher: string;
  contentType: string;
}

/** One verified request (the certificate is trusted via `ca`, unlike autocannon's connections). */
function preflight(port: number, cert: CertificatePair): Promise<Preflight> {
  return new Promise((resolve, reject) => {
    const request = https.get(
      { host: "127.0.0.1", port, path: "/healthz", ca: cert.cert, agent: false, timeout: 10_000 },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          const body = Buffer.concat(chunks).toString("utf8");
          if (response.statusCode !== 200 || body !== HEALTHZ_BODY) {
            reject(new Error(`preflight :${port}: ${response.statusCode} ${body.slice(0, 200)}`));
            return;
          }
          const socket = response.socket as TLSSocket;
          resolve({
            protocol: socket.getProtocol() ?? "unknown",
            cipher: socket.getCipher().standardName,
            contentType: String(response.headers["content-type"]),
          });
        });
        response.on("error", reject);
      },
    );
    request.on("timeout", () => request.destroy(new Error(`preflight :${port}: timed out`)));
    request.on("error", reject);
  });
}

async function httpBenchmarks(
  progress: Progress,
): Promise<{ measurements: Record<string, Measurement>; tls: Record<string, Preflight> }> {
  progress(
    `https: GET /healthz, ${HTTP.connections} connections, ${HTTP.durationSeconds} s x ${HTTP.rounds} rounds per side`,
  );
  const cert = await benchCertificate();
  const servers: ChildServer[] = [];
  try {
    for (const kind of ["app", "bare"] as const) {
      const server = await startChildServer(SERVER_ENTRY, { type: "start", kind, ...cert });
      servers.push(server);
      progress(`${kind} server listening on 127.0.0.1:${server.port} (pid ${server.pid})`);
    }
    const [app, bare] = servers as [ChildServer, ChildServer];
    const tls = { app: await preflight(app.port, cert), bare: await preflight(bare.port, cert) };
    const url = (server: ChildServer) => `https://127.0.0.1:${server.port}/healthz`;
    const run = (server: ChildServer, durationSeconds: number) =>
      loadTest({ url: url(server), connections: HTTP.connections, durationSeconds, ca: cert.cert });
    const side = (label: string, server: ChildServer): Side => ({
      label,
      run: async () => {
        const result = await run(server, HTTP.durationSeconds);
        return { reqPerSec: result.reqPerSec, p99Ms: result.p99Ms, total: result.total };
      },
    });
    const samples = await interleave({
      rounds: HTTP.rounds,
      sides: [side("app", app), side("bare", bare)],
      progress,
      warmup: async (s) => {
        await run(s.label === "app" ? app : bare, HTTP.warmupSeconds);
      },
    });
    return {
      tls,
      measurements: {
        httpsHealthzAppReqPerSec: measurement(
          "req/s",
          "buildApp (helmet, request ids, zod serializer, warn-level logger) on a migrated encrypted store",
          series(samples, "app", "reqPerSec"),
        ),
        httpsHealthzBareReqPerSec: measurement(
          "req/s",
          "bare node:https, same certificate and TLS options, same JSON body, minimal headers",
          series(samples, "bare", "reqPerSec"),
        ),
        httpsHealthzAppP99: measurement("ms", "p99 latency, real app", series(samples, "app", "p99Ms")),
        httpsHealthzBareP99: measurement(
          "ms",
          "p99 latency, bare node:https",
          series(samples, "bare", "p99Ms"),
        ),
      },
    };
  } finally {
    for (const server of servers.reverse()) await server.stop();
  }
}

// ---------------------------------------------------------------------------------------------------------

export const foundation: Suite = {
  name: "foundation",
  description: "Encrypted store and HTTPS app overheads against plain baselines",
  async run({ progress }): Promise<SuiteOutput> {
    const measurements: Record<string, Measurement> = {};
    const ratios: Record<string, Ratio | null> = {};
    const skipped: Record<string, string> = {};

    Object.assign(measurements, await storeBenchmarks(progress));
    ratios.storeWriteVsPlain = ratio(
      measurements,
      "storeWriteEncryptedRepo",
      "storeWritePlain",
      "rows/s written through the real path / rows/s with a plain prepared statement (below 1: slower)",
    );
    ratios.storeReadVsPlain = ratio(
      measurements,
      "storeReadEncryptedRepo",
      "storeReadPlain",
      "point reads/s through the real path / point reads/s with a plain prepared statement (below 1: slower)",
    );

    ratios.storeWriteEncryptedVsPlainRepo = ratio(
      measurements,
      "storeWriteEncryptedRepo",
      "storeWritePlainRepo",
      "diagnostic: the same repo writes with / without SQLCipher and secure_delete (the encryption's share)",
    );
    ratios.storeReadEncryptedVsPlainRepo = ratio(
      measurements,
      "storeReadEncryptedRepo",
      "storeReadPlainRepo",
      "diagnostic: the same repo reads with / without SQLCipher (the encryption's share)",
    );

    const adminUrl = process.env.TEST_DATABASE_URL;
    if (adminUrl) {
      Object.assign(measurements, await postgresBenchmarks(adminUrl, progress));
      ratios.postgresWriteVsSqlite = ratio(
        measurements,
        "postgresWriteRepo",
        "sqliteWriteRepo",
        "rows/s through putSetting on PostgreSQL / on the encrypted SQLite store (below 1: slower)",
      );
    } else {
      ratios.postgresWriteVsSqlite = null;
      skipped.postgresWriteVsSqlite = "TEST_DATABASE_URL is not set; PostgreSQL was not measured";
    }

    const http = await httpBenchmarks(progress);
    Object.assign(measurements, http.measurements);
    ratios.httpsHealthzVsBareNode = ratio(
      measurements,
      "httpsHealthzAppReqPerSec",
      "httpsHealthzBareReqPerSec",
      "req/s of GET /healthz on the real app / on a bare node:https server (below 1: slower)",
    );
    ratios.httpsHealthzP99VsBareNode = ratio(
      measurements,
      "httpsHealthzAppP99",
      "httpsHealthzBareP99",
      "p99 latency of the real app / of the bare server (above 1: slower)",
    );

    return {
      config: {
        store: STORE,
        postgres: adminUrl ? POSTGRES : null,
        http: { ...HTTP, tls: http.tls },
        interleaving: "A, B, A, B per round after one unrecorded warm-up per side; medians over rounds",
      },
      measurements,
      ratios,
      skipped,
      notes: [
        "Each store round uses a fresh temp database on each side; only the write loop and the read loop are timed.",
        "The encrypted side's file is checked to have no plaintext SQLite header, the plain side's to have one.",
        "The plain side has no secure_delete and no Kysely: the ratio is the whole cost of our write/read path. " +
          "The plainRepo side (diagnostic) runs the repo through Kysely on the unkeyed handle, splitting that " +
          "cost into encryption (encrypted / plainRepo) and query building (plainRepo / plain).",
        "Each HTTPS server runs in its own child process; autocannon runs in this process, so on a 2-core " +
          "machine load generator and server each get about one core and the bare figure may be client-bound.",
        "autocannon does not verify certificates; one verified preflight request per server checks status, " +
          "body and the negotiated TLS version.",
      ],
    };
  },
};
