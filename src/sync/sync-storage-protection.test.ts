import { afterEach, describe, expect, it } from "vitest";
import { CANARY, item, order, pii } from "../../test/support/orders.js";
import { openTestProtection, type TestProtection } from "../../test/support/protection.js";
import { STORES } from "../../test/support/stores.js";
import { deleteSellerAccount } from "../accounts/account-deletion.js";
import { createSellerAccount } from "../accounts/accounts-repo.js";
import type { DB } from "../db/schema.js";
import { rotateAccountDataKey } from "../protection/key-rotation.js";
import { purgeExpiredBuyerPii } from "./buyer-pii-repo.js";
import { insertFinancialEvents } from "./financial-events-repo.js";
import { upsertInventorySummaries } from "./inventory-repo.js";
import { getOrder, readOrderPii } from "./orders-query-repo.js";
import { upsertOrders } from "./orders-repo.js";
import { upsertPrices } from "./prices-repo.js";
import { addThrottled, saveCheckpoint } from "./sync-checkpoints-repo.js";

const open: TestProtection[] = [];
afterEach(async () => {
  for (const p of open.splice(0)) await p.dispose();
});

const SYNC_TABLES = [
  "orders",
  "order_items",
  "order_buyer_pii",
  "inventory_summaries",
  "prices",
  "financial_events",
  "sync_checkpoints",
] as const satisfies ReadonlyArray<keyof DB>;

const fbmOrder = () =>
  order({ source: "api", items: [item({ itemKey: "9001", orderItemId: "9001" })], pii: pii() });

for (const target of STORES) {
  describe.skipIf(target.skip)(`sync storage and data protection on ${target.name}`, () => {
    async function seeded(p: TestProtection, name: string) {
      const db = p.data.database.db;
      const now = p.clock.now();
      const account = await createSellerAccount(db, p.fields, { name, region: "na" }, now);
      const id = account.id;
      await upsertOrders(db, p.fields, id, [fbmOrder()], { now, shippingEnabled: true });
      await upsertInventorySummaries(
        db,
        id,
        [
          {
            marketplace: "ATVPDKIKX0DER",
            sku: "SKU-1",
            asin: null,
            fnSku: null,
            productName: null,
            condition: null,
            fulfillable: 1,
            inbound: 0,
            reserved: 0,
            unfulfillable: 0,
            total: 1,
            lastUpdatedAt: now.toISOString(),
          },
        ],
        { now },
      );
      await upsertPrices(
        db,
        id,
        [
          {
            marketplace: "ATVPDKIKX0DER",
            asin: "B000000001",
            sku: null,
            currency: "USD",
            ownPriceMinor: 100,
            buyBoxPriceMinor: null,
            lowestPriceMinor: null,
            isBuyBoxWinner: null,
            offerCount: null,
            asOf: now.toISOString(),
          },
        ],
        { now },
      );
      await insertFinancialEvents(
        db,
        id,
        [
          {
            eventType: "ShipmentEvent",
            postedDate: now.toISOString(),
            amazonOrderId: null,
            sku: null,
            feeType: "Commission",
            amountMinor: -1,
            currency: "USD",
          },
        ],
        { now },
      );
      await saveCheckpoint(db, { accountId: id, stream: "orders", cursor: "c", now });
      await addThrottled(db, { accountId: id, stream: "orders", count: 1, now });
      return id;
    }

    async function rowsOf(p: TestProtection, accountId: string): Promise<Record<string, number>> {
      const out: Record<string, number> = {};
      for (const table of SYNC_TABLES) {
        const { n } = await p.data.database.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .where("account_id", "=", accountId)
          .executeTakeFirstOrThrow();
        out[table] = Number(n);
      }
      return out;
    }

    it("deleting a seller account removes every synced row of it and nothing of the others", async () => {
      const p = await openTestProtection(target.name);
      open.push(p);
      const doomed = await seeded(p, "Doomed");
      const kept = await seeded(p, "Kept");
      const everything = Object.fromEntries(SYNC_TABLES.map((t) => [t, 1]));
      expect(await rowsOf(p, doomed)).toEqual(everything);
      await deleteSellerAccount(
        {
          database: p.data.database,
          vault: p.vault.database,
          dataKeys: p.dataKeys,
          secrets: p.secrets,
          audit: p.audit,
          clock: p.clock,
        },
        doomed,
        "t",
      );
      expect(await rowsOf(p, doomed)).toEqual(Object.fromEntries(SYNC_TABLES.map((t) => [t, 0])));
      expect(await rowsOf(p, kept)).toEqual(everything);
      expect(
        (await readOrderPii(p.data.database.db, p.fields, kept, "111-0000001-0000001"))?.buyerName,
      ).toContain(CANARY);
    });

    it("data-key rotation re-seals the buyer data, which still opens afterwards", async () => {
      const p = await openTestProtection(target.name);
      open.push(p);
      const db = p.data.database.db;
      const accountId = await seeded(p, "Brand");
      const before = await db.selectFrom("order_buyer_pii").selectAll().executeTakeFirstOrThrow();
      expect(before.address_line1).toMatch(/^sp1:v1:/);
      const result = await rotateAccountDataKey(
        { db, dataKeys: p.dataKeys, fields: p.fields, secrets: p.secrets, audit: p.audit, clock: p.clock },
        accountId,
        { batchSize: 10, actor: "t", onProgress: () => undefined, graceMs: 0 },
      );
      expect(result.retired).toEqual([1]);
      const after = await db.selectFrom("order_buyer_pii").selectAll().executeTakeFirstOrThrow();
      for (const column of [
        "buyer_name",
        "ship_name",
        "address_line1",
        "city",
        "postal_code",
        "country_code",
        "phone",
      ] as const) {
        expect(after[column], column).toMatch(/^sp1:v2:/);
      }
      expect(await readOrderPii(db, p.fields, accountId, "111-0000001-0000001")).toEqual(pii());
    });

    it("purges buyer data 30 days after delivery, except under a legal hold, and keeps the orders", async () => {
      const p = await openTestProtection(target.name);
      open.push(p);
      const db = p.data.database.db;
      const a = await seeded(p, "A");
      const b = await seeded(p, "B");
      const delivered = fbmOrder();
      delivered.status = "SHIPPED";
      delivered.lastUpdatedAt = "2026-11-10T00:00:00.000Z";
      delivered.deliveredAt = "2026-11-10T00:00:00.000Z";
      for (const id of [a, b]) {
        await upsertOrders(db, p.fields, id, [delivered], { now: p.clock.now(), shippingEnabled: true });
      }
      const purgeAt = (at: string, held: string[] = []) =>
        purgeExpiredBuyerPii(db, { now: new Date(at), heldAccountIds: held, batchSize: 1 });
      expect(await purgeAt("2026-12-09T23:59:59.000Z")).toEqual({ purged: 0, held: 0 });
      expect(await purgeAt("2026-12-10T00:00:00.000Z", [b])).toEqual({ purged: 1, held: 1 });
      expect(await readOrderPii(db, p.fields, a, "111-0000001-0000001")).toBeNull();
      expect((await getOrder(db, a, "111-0000001-0000001"))?.order).toMatchObject({
        has_buyer_data: 0,
        has_recipient_data: 0,
        status: "SHIPPED",
      });
      expect((await readOrderPii(db, p.fields, b, "111-0000001-0000001"))?.buyerName).toContain(CANARY);
      expect(await purgeAt("2026-12-10T00:00:00.000Z")).toEqual({ purged: 1, held: 0 });
      // A later update (a refund, say) that carries buyer data again does not bring it back.
      p.clock.set("2026-12-11T00:00:00.000Z");
      const refunded = { ...delivered, lastUpdatedAt: "2026-12-11T00:00:00.000Z" };
      const again = await upsertOrders(db, p.fields, a, [refunded], {
        now: p.clock.now(),
        shippingEnabled: true,
      });
      expect(again).toMatchObject({ updated: 1, piiWritten: 0, piiDropped: 1 });
      expect(await db.selectFrom("order_buyer_pii").selectAll().execute()).toEqual([]);
    });
  });
}
