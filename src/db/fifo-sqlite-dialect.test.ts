import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import SqliteDatabase from "better-sqlite3-multiple-ciphers";
import { Kysely, sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { FifoSqliteDialect } from "./fifo-sqlite-dialect.js";

type Schema = { t: { n: number } };
const open: Array<Kysely<Schema>> = [];
afterEach(async () => {
  for (const db of open.splice(0)) await db.destroy();
});

async function store() {
  const db = new Kysely<Schema>({
    dialect: new FifoSqliteDialect({ database: new SqliteDatabase(":memory:") }),
  });
  open.push(db);
  await sql`CREATE TABLE t (n INTEGER NOT NULL)`.execute(db);
  return db;
}

describe("FIFO SQLite dialect", () => {
  it("serves queries queued behind a transaction in arrival order, after it commits", async () => {
    const db = await store();
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const trx = db.transaction().execute(async (tx) => {
      await tx.insertInto("t").values({ n: 0 }).execute();
      await held;
    });
    await new Promise((resolve) => setImmediate(resolve));
    const queued = Array.from({ length: 50 }, (_, i) =>
      db
        .insertInto("t")
        .values({ n: i + 1 })
        .execute(),
    );
    // Nothing queued has run while the transaction holds the connection.
    await new Promise((resolve) => setImmediate(resolve));
    release();
    await trx;
    await Promise.all(queued);
    const rows = await db.selectFrom("t").select("n").orderBy(sql`rowid`).execute();
    expect(rows.map((r) => r.n)).toEqual(Array.from({ length: 51 }, (_, i) => i));
  });

  it("rolls a failed transaction back and keeps serving", async () => {
    const db = await store();
    await expect(
      db.transaction().execute(async (tx) => {
        await tx.insertInto("t").values({ n: 1 }).execute();
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    await db.insertInto("t").values({ n: 2 }).execute();
    expect(await db.selectFrom("t").select("n").execute()).toEqual([{ n: 2 }]);
  });
});

describe("transactions across two connections to one file (the server and a CLI command)", () => {
  async function twoConnections() {
    const dir = await mkdtemp(join(tmpdir(), "sp-fifo-"));
    const file = join(dir, "shared.db");
    const handles = [new SqliteDatabase(file), new SqliteDatabase(file)];
    for (const h of handles) {
      h.pragma("journal_mode = WAL");
      h.pragma("busy_timeout = 100");
    }
    const [a, b] = handles.map((database) => {
      const db = new Kysely<Schema>({ dialect: new FifoSqliteDialect({ database }) });
      open.push(db);
      return db;
    }) as [Kysely<Schema>, Kysely<Schema>];
    await sql`CREATE TABLE t (n INTEGER NOT NULL)`.execute(a);
    return { a, b, cleanup: () => rm(dir, { recursive: true, force: true }) };
  }

  it("a write transaction that reads first holds the write lock from its start, so its write cannot fail", async () => {
    const { a, b, cleanup } = await twoConnections();
    try {
      let otherWrite: unknown = "not tried";
      await a.transaction().execute(async (tx) => {
        await tx.selectFrom("t").selectAll().execute();
        // The other connection commits in between: it waits for the lock (and gives up after its timeout)
        // instead of invalidating this transaction's snapshot.
        otherWrite = await b
          .insertInto("t")
          .values({ n: 1 })
          .execute()
          .then(
            () => "written",
            (err: Error) => err.message,
          );
        await tx.insertInto("t").values({ n: 2 }).execute();
      });
      expect(otherWrite).toMatch(/database is locked/);
      await b.insertInto("t").values({ n: 3 }).execute();
      const rows = await a.selectFrom("t").select("n").orderBy("n").execute();
      expect(rows.map((r) => r.n)).toEqual([2, 3]);
    } finally {
      await cleanup();
    }
  });

  it("a read-only transaction (a backup's snapshot) holds no writer off", async () => {
    const { a, b, cleanup } = await twoConnections();
    try {
      await a.insertInto("t").values({ n: 1 }).execute();
      const seen = await a
        .transaction()
        .setAccessMode("read only")
        .execute(async (tx) => {
          const before = await tx.selectFrom("t").select("n").execute();
          await b.insertInto("t").values({ n: 2 }).execute();
          const after = await tx.selectFrom("t").select("n").execute();
          return [before.length, after.length];
        });
      expect(seen).toEqual([1, 1]); // one snapshot throughout, and the other write went through
      expect((await b.selectFrom("t").select("n").execute()).length).toBe(2);
    } finally {
      await cleanup();
    }
  });
});
