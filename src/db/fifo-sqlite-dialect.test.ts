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
