import { randomBytes } from "node:crypto";
import path from "node:path";
import SqliteDatabase from "better-sqlite3-multiple-ciphers";
import { Kysely, SqliteDialect, sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { canaryForms, newCanary, scanPostgres, scanTree } from "../../test/support/canary-scan.js";
import { pii } from "../../test/support/orders.js";
import { openTestProtection, type TestProtection } from "../../test/support/protection.js";
import { delivered } from "../../test/support/retention.js";
import { openTestStore, STORES, type TestStore, tempDir } from "../../test/support/stores.js";
import { createSellerAccount } from "../accounts/accounts-repo.js";
import { auditSigner } from "../audit/audit-chain.js";
import { masterKeyFromBytes } from "../crypto/master-key.js";
import type { Database } from "../db/database.js";
import { migrateToLatest } from "../db/migrate.js";
import type { DB } from "../db/schema.js";
import { MS } from "../platform/clock.js";
import { upsertOrders } from "../sync/orders-repo.js";
import { createRetentionService } from "./retention-service.js";

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

/**
 * The production SQLite file is SQLCipher-encrypted, so its raw bytes would never show anything and a
 * scan of it could not fail. This store has the same pragmas (WAL, secure_delete) without the page
 * cipher, so the sealed buyer values are visible in the file — until the purge and its checkpoint.
 */
async function plainSqlite(): Promise<{ database: Database; dir: string }> {
  const tmp = tempDir("sp-erasure-");
  const handle = new SqliteDatabase(path.join(tmp.dir, "plain.db"));
  handle.pragma("journal_mode = WAL");
  handle.pragma("secure_delete = ON");
  handle.pragma("foreign_keys = ON");
  const db = new Kysely<DB>({ dialect: new SqliteDialect({ database: handle }) });
  const database: Database = {
    db,
    kind: "sqlite",
    ping: async () => undefined,
    checkpoint: async () => {
      await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(db);
    },
    close: () => db.destroy(),
  };
  cleanup.push(() => tmp.remove());
  cleanup.push(() => database.close());
  return { database, dir: tmp.dir };
}

const DELIVERED = "2026-11-10T00:00:00.000Z";

for (const target of STORES) {
  describe.skipIf(target.skip)(`buyer data erasure on ${target.name}`, () => {
    it("after the day-31 purge the buyer's sealed values are nowhere in the store's bytes", async () => {
      const p: TestProtection = await openTestProtection(target.name);
      cleanup.push(() => p.dispose());
      let database: Database;
      let scan: (needles: string[]) => Promise<string[]>;
      if (target.name === "sqlite") {
        const plain = await plainSqlite();
        database = plain.database;
        scan = async (needles) =>
          scanTree(
            plain.dir,
            needles.flatMap((n) => canaryForms(n).filter((f) => f.form === "plain")),
          ).hits.map((h) => h.where);
      } else {
        const store: TestStore = await openTestStore("postgres");
        cleanup.push(() => store.dispose());
        database = store.database;
        scan = async (needles) =>
          (
            await scanPostgres(
              store.location,
              needles.flatMap((n) => canaryForms(n).filter((f) => f.form === "plain")),
            )
          ).hits.map((h) => h.where);
      }
      await migrateToLatest(database.db);
      const db = database.db;
      const canary = newCanary("buyer");
      const account = await createSellerAccount(db, p.fields, { name: "A", region: "na" }, p.clock.now());
      await upsertOrders(
        db,
        p.fields,
        account.id,
        [delivered("111-0000009-0000001", DELIVERED, { pii: pii({ buyerName: `Ada ${canary}` }) })],
        { now: p.clock.now(), shippingEnabled: true },
      );
      const row = await db.selectFrom("order_buyer_pii").selectAll().executeTakeFirstOrThrow();
      const sealed = [row.buyer_name, row.ship_name, row.address_line1].filter(
        (v): v is string => v !== null,
      );
      expect(sealed).toHaveLength(3);
      // The plaintext never reaches the store; its ciphertext does (the positive control of this scan).
      expect(await scan([canary])).toEqual([]);
      expect((await scan(sealed)).length).toBeGreaterThan(0);

      const service = createRetentionService({
        database,
        vault: p.vault.database,
        dataKeys: p.dataKeys,
        secrets: p.secrets,
        audit: p.audit,
        clock: p.clock,
        signer: auditSigner(masterKeyFromBytes(randomBytes(32))),
      });
      p.clock.set(new Date(Date.parse(DELIVERED) + 31 * MS.day));
      expect((await service.run()).receipt.deleted.buyer_pii).toBe(1);
      if (target.name === "sqlite") {
        // The purge checkpoints less often while it runs, and gives the connection its setting back.
        const { rows } = await sql<{ wal_autocheckpoint: number }>`PRAGMA wal_autocheckpoint`.execute(db);
        expect(rows[0]?.wal_autocheckpoint).toBe(1000);
      }
      expect(await scan(sealed)).toEqual([]);
      expect(await scan([canary])).toEqual([]);
    });
  });
}
