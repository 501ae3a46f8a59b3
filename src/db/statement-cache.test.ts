import SqliteDatabase from "better-sqlite3-multiple-ciphers";
import { Kysely, SqliteDialect, sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { cachingStatements } from "./statement-cache.js";

const handles: Array<InstanceType<typeof SqliteDatabase>> = [];
afterEach(() => {
  for (const h of handles.splice(0)) if (h.open) h.close();
});

/** A real in-memory SQLite handle whose prepare() calls are counted. */
function counted() {
  const handle = new SqliteDatabase(":memory:");
  handles.push(handle);
  const prepared: string[] = [];
  return {
    handle,
    prepared,
    source: {
      prepare: (text: string) => {
        prepared.push(text);
        return handle.prepare(text);
      },
      close: () => handle.close(),
    },
  };
}

describe("SQLite statement cache", () => {
  it("prepares each SQL text once through Kysely and still returns fresh results", async () => {
    const c = counted();
    const db = new Kysely<{ t: { id: number; v: string } }>({
      dialect: new SqliteDialect({ database: cachingStatements(c.source) }),
    });
    await sql`CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)`.execute(db);
    for (let i = 1; i <= 5; i++)
      await db
        .insertInto("t")
        .values({ id: i, v: `v${i}` })
        .execute();
    for (let i = 1; i <= 5; i++) {
      const row = await db.selectFrom("t").selectAll().where("id", "=", i).executeTakeFirst();
      expect(row).toEqual({ id: i, v: `v${i}` });
    }
    const selects = c.prepared.filter((s) => s.startsWith("select"));
    const inserts = c.prepared.filter((s) => s.startsWith("insert"));
    expect(selects).toHaveLength(1);
    expect(inserts).toHaveLength(1);
    await db.destroy();
    expect(c.handle.open).toBe(false);
  });

  it("evicts the least recently used text beyond its size", () => {
    const c = counted();
    const cache = cachingStatements(c.source, { entries: 2 });
    cache.prepare("SELECT 1");
    cache.prepare("SELECT 2");
    cache.prepare("SELECT 1"); // now SELECT 2 is the oldest
    cache.prepare("SELECT 3"); // evicts SELECT 2
    cache.prepare("SELECT 1");
    cache.prepare("SELECT 2");
    expect(c.prepared).toEqual(["SELECT 1", "SELECT 2", "SELECT 3", "SELECT 2"]);
  });

  it("evicts the least recently used texts beyond its budget of SQL characters", () => {
    const c = counted();
    // Each text is 40 characters; the budget holds two of them.
    const text = (n: number) => `SELECT ${n} AS v /*${"x".repeat(40 - 17 - String(n).length)}*/`;
    expect(text(1)).toHaveLength(40);
    const cache = cachingStatements(c.source, { chars: 80 });
    cache.prepare(text(1));
    cache.prepare(text(2));
    cache.prepare(text(1)); // text(2) is now the oldest
    cache.prepare(text(3)); // 120 characters: text(2) goes
    cache.prepare(text(1));
    cache.prepare(text(3));
    cache.prepare(text(2));
    expect(c.prepared).toEqual([text(1), text(2), text(3), text(2)]);
  });

  it("never keeps a statement longer than the per-statement bound, and still runs it", () => {
    const c = counted();
    const cache = cachingStatements(c.source, { maxStatementChars: 30 });
    const long = `SELECT 7 AS v /*${"y".repeat(20)}*/`;
    expect(cache.prepare(long).all([])).toEqual([{ v: 7 }]);
    expect(cache.prepare(long).all([])).toEqual([{ v: 7 }]);
    cache.prepare("SELECT 1");
    cache.prepare("SELECT 1");
    expect(c.prepared).toEqual([long, long, "SELECT 1"]);
  });

  it("hands out a fresh statement while the cached one is still being iterated", () => {
    const c = counted();
    const cache = cachingStatements(c.source);
    const text = "SELECT 1 AS x UNION ALL SELECT 2";
    const first = cache.prepare(text);
    const iterator = first.iterate([]);
    iterator.next();
    const second = cache.prepare(text);
    expect(second).not.toBe(first);
    expect(second.all([])).toEqual([{ x: 1 }, { x: 2 }]);
    iterator.return?.();
    expect(cache.prepare(text)).toBe(first);
  });
});
