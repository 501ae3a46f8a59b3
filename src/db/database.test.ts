import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import { sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { openTestStore, STORES, type TestStore, tempDir } from "../../test/support/stores.js";
import { ManualClock } from "../platform/clock.js";
import { ensureInstanceIdentity } from "../settings/instance.js";
import { getSetting, putSetting } from "../settings/settings-repo.js";
import { openSqlite } from "./database.js";
import { migrateToLatest, migrationStatus } from "./migrate.js";
import { MIGRATIONS } from "./migrations/index.js";

const open: TestStore[] = [];
afterEach(async () => {
  for (const store of open.splice(0)) await store.dispose();
});

for (const target of STORES) {
  describe.skipIf(target.skip)(`store on ${target.name}`, () => {
    async function fresh(): Promise<TestStore> {
      const store = await openTestStore(target.name);
      open.push(store);
      return store;
    }

    it("reports every migration pending on an empty store, none after migrating, and migrates idempotently", async () => {
      const { database } = await fresh();
      const all = Object.keys(MIGRATIONS);
      expect(await migrationStatus(database.db)).toEqual({ applied: [], pending: all });
      expect((await migrateToLatest(database.db)).executed).toEqual(all);
      expect(await migrationStatus(database.db)).toEqual({ applied: all, pending: [] });
      expect((await migrateToLatest(database.db)).executed).toEqual([]);
    });

    it("stores, overwrites and reads settings, and keeps the first instance identity", async () => {
      const { database } = await fresh();
      await migrateToLatest(database.db);
      const clock = new ManualClock("2026-11-28T00:00:00.000Z");
      expect(await getSetting(database.db, "missing")).toBeNull();
      await putSetting(database.db, "k", "one", clock.now());
      await putSetting(database.db, "k", "two", clock.now());
      expect(await getSetting(database.db, "k")).toBe("two");

      const first = await ensureInstanceIdentity(database.db, clock);
      clock.advance(60_000);
      const again = await ensureInstanceIdentity(database.db, clock);
      expect(again).toEqual(first);
      expect(first.initializedAt).toBe("2026-11-28T00:00:00.000Z");
    });

    it("answers ping and closes cleanly", async () => {
      const store = await openTestStore(target.name);
      await expect(store.database.ping()).resolves.toBeUndefined();
      await store.dispose();
      await expect(store.database.ping()).rejects.toThrow();
    });
  });
}

describe("encrypted SQLite", () => {
  const dirs: Array<{ remove(): void }> = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) d.remove();
  });
  function scratchFile(): string {
    const tmp = tempDir("sp-db-");
    dirs.push(tmp);
    return path.join(tmp.dir, "seller-pilot.db");
  }

  it("keeps a canary written through the app out of the raw database file and its WAL", async () => {
    const file = scratchFile();
    const canary = `CANARY-${randomBytes(8).toString("hex")}`;
    const database = await openSqlite(file, randomBytes(32));
    await migrateToLatest(database.db);
    await putSetting(database.db, "canary", canary, new Date());
    // Before checkpointing the row lives only in the WAL; scan it while it is there.
    const wal = await fs.readFile(`${file}-wal`);
    expect(wal.length).toBeGreaterThan(0);
    expect(wal.includes(Buffer.from(canary))).toBe(false);
    expect(await getSetting(database.db, "canary")).toBe(canary);
    await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(database.db);
    await database.close();
    const main = await fs.readFile(file);
    expect(main.length).toBeGreaterThan(4096);
    expect(main.includes(Buffer.from(canary))).toBe(false);
    expect(main.subarray(0, 16).toString("latin1")).not.toBe("SQLite format 3\u0000");
  });

  it("fails with DB_KEY_MISMATCH on the wrong key and leaves the data intact", async () => {
    const file = scratchFile();
    const key = randomBytes(32);
    const database = await openSqlite(file, key);
    await migrateToLatest(database.db);
    await putSetting(database.db, "kept", "yes", new Date());
    await database.close();
    const before = await fs.readFile(file);

    await expect(openSqlite(file, randomBytes(32))).rejects.toMatchObject({ code: "DB_KEY_MISMATCH" });
    expect((await fs.readFile(file)).equals(before)).toBe(true);

    const reopened = await openSqlite(file, key);
    expect(await getSetting(reopened.db, "kept")).toBe("yes");
    await reopened.close();
  });

  it("runs with WAL, secure_delete, foreign keys and a private file mode", async () => {
    const file = scratchFile();
    const database = await openSqlite(file, randomBytes(32));
    const pragma = async (name: string) =>
      Object.values(
        (await sql.raw(`PRAGMA ${name}`).execute(database.db)).rows[0] as Record<string, unknown>,
      )[0];
    expect(await pragma("journal_mode")).toBe("wal");
    expect(await pragma("secure_delete")).toBe(1);
    expect(await pragma("foreign_keys")).toBe(1);
    expect(await pragma("cipher")).toBe("sqlcipher");
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    await database.close();
  });

  it("refuses a directory it cannot create with DATA_DIR_UNUSABLE", async () => {
    const file = scratchFile();
    await fs.writeFile(`${path.dirname(file)}/blocker`, "x");
    await expect(
      openSqlite(path.join(path.dirname(file), "blocker", "db.sqlite"), randomBytes(32)),
    ).rejects.toMatchObject({
      code: "DATA_DIR_UNUSABLE",
    });
  });
});
