import { afterEach, describe, expect, it } from "vitest";
import { CANARY, item, order, pii } from "../../test/support/orders.js";
import { openTestProtection, type TestProtection } from "../../test/support/protection.js";
import { STORES } from "../../test/support/stores.js";
import { createSellerAccount } from "../accounts/accounts-repo.js";
import type { NormalizedOrder } from "./order-model.js";
import { getOrder, readOrderPii } from "./orders-query-repo.js";
import { orderRowId, upsertOrders } from "./orders-repo.js";

const open: TestProtection[] = [];
afterEach(async () => {
  for (const p of open.splice(0)) await p.dispose();
});

/** An API record of the same order: items keyed by Amazon's orderItemId, buyer data included. */
function apiOrder(overrides: Partial<NormalizedOrder> = {}): NormalizedOrder {
  return order({
    source: "api",
    lastUpdatedAt: "2026-11-01T11:00:00.000Z",
    latestShipDate: "2026-11-03T00:00:00.000Z",
    isPrime: false,
    items: [item({ itemKey: "90000000000101", orderItemId: "90000000000101" })],
    pii: pii(),
    ...overrides,
  });
}

for (const target of STORES) {
  describe.skipIf(target.skip)(`orders repository on ${target.name}`, () => {
    async function setup() {
      const p = await openTestProtection(target.name);
      open.push(p);
      const db = p.data.database.db;
      const account = await createSellerAccount(db, p.fields, { name: "Brand", region: "na" }, p.clock.now());
      const upsert = (orders: NormalizedOrder[], shippingEnabled = true) =>
        upsertOrders(db, p.fields, account.id, orders, { now: p.clock.now(), shippingEnabled });
      return { p, db, accountId: account.id, upsert };
    }

    it("is idempotent: the same batch twice leaves the same rows and reports no change", async () => {
      const { db, upsert } = await setup();
      const batch = [
        order(),
        order({
          amazonOrderId: "111-0000001-0000002",
          fulfillmentChannel: "FBA",
          items: [item(), item({ itemKey: "r:SKU-2", sku: "SKU-2" })],
        }),
      ];
      const first = await upsert(batch);
      expect(first).toMatchObject({ received: 2, inserted: 2, updated: 0, unchanged: 0, itemsWritten: 3 });
      const snapshot = async () => ({
        orders: await db.selectFrom("orders").selectAll().orderBy("id").execute(),
        items: await db
          .selectFrom("order_items")
          .selectAll()
          .orderBy("order_id")
          .orderBy("item_key")
          .execute(),
      });
      const before = await snapshot();
      const second = await upsert(batch);
      expect(second).toMatchObject({
        inserted: 0,
        updated: 0,
        unchanged: 2,
        itemsWritten: 0,
        staleIgnored: 0,
      });
      expect(await snapshot()).toEqual(before);
    });

    it("ignores and counts an out-of-order (older) update, keeping the newer row whole", async () => {
      const { db, accountId, upsert } = await setup();
      await upsert([
        order({ status: "SHIPPED", lastUpdatedAt: "2026-11-02T09:00:00.000Z", totalMinor: 2000 }),
      ]);
      const result = await upsert([
        order({ status: "UNSHIPPED", lastUpdatedAt: "2026-11-01T10:05:00.000Z", totalMinor: 1 }),
      ]);
      expect(result).toMatchObject({ staleIgnored: 1, updated: 0, inserted: 0 });
      const stored = await getOrder(db, accountId, "111-0000001-0000001");
      expect(stored?.order).toMatchObject({
        status: "SHIPPED",
        last_updated_at: "2026-11-02T09:00:00.000Z",
        total_minor: 2000,
      });
    });

    it("a poorer source never nulls out or overrides what a richer one stored", async () => {
      const { db, accountId, upsert } = await setup();
      await upsert([apiOrder()]);
      // The same version again from a report: it knows no ship date and another (wrong) title.
      const result = await upsert([
        order({
          lastUpdatedAt: "2026-11-01T11:00:00.000Z",
          isPrime: null,
          items: [item({ title: "Other" })],
        }),
      ]);
      expect(result.unchanged).toBe(1);
      const stored = await getOrder(db, accountId, "111-0000001-0000001");
      expect(stored?.order).toMatchObject({
        source: "api",
        latest_ship_date: "2026-11-03T00:00:00.000Z",
        is_prime: 0,
        has_buyer_data: 1,
        has_recipient_data: 1,
      });
      // The report line joined the API item of the same SKU instead of duplicating it.
      expect(stored?.items.map((i) => [i.item_key, i.title])).toEqual([["90000000000101", "Blue mug"]]);
      // A newer report moves the status on but still cannot blank the ship date or buyer flags.
      await upsert([order({ status: "SHIPPED", lastUpdatedAt: "2026-11-02T00:00:00.000Z" })]);
      const later = await getOrder(db, accountId, "111-0000001-0000001");
      expect(later?.order).toMatchObject({
        status: "SHIPPED",
        latest_ship_date: "2026-11-03T00:00:00.000Z",
        source: "api",
      });
    });

    it("stores buyer data only for FBM orders with shipping enabled, sealed at rest", async () => {
      const { p, db, accountId, upsert } = await setup();
      const fba = apiOrder({ amazonOrderId: "111-0000002-0000001", fulfillmentChannel: "FBA" });
      const fbm = apiOrder();
      const result = await upsert([fba, fbm]);
      expect(result).toMatchObject({ piiWritten: 1, piiDropped: 1 });
      const rows = await db.selectFrom("order_buyer_pii").selectAll().execute();
      expect(rows.map((r) => r.order_id)).toEqual([orderRowId(accountId, fbm.amazonOrderId)]);
      const raw = rows[0];
      for (const column of [
        "buyer_name",
        "ship_name",
        "address_line1",
        "city",
        "state_or_region",
        "postal_code",
        "country_code",
        "phone",
      ] as const) {
        expect(raw?.[column], column).toMatch(/^sp1:v\d+:/);
      }
      expect(raw?.address_line2).toBeNull();
      expect(JSON.stringify(await db.selectFrom("orders").selectAll().execute())).not.toContain(CANARY);
      expect(await readOrderPii(db, p.fields, accountId, fbm.amazonOrderId)).toEqual(pii());
      expect(await readOrderPii(db, p.fields, accountId, fba.amazonOrderId)).toBeNull();
      const fbaRow = await getOrder(db, accountId, fba.amazonOrderId);
      expect(fbaRow?.order).toMatchObject({ has_buyer_data: 0, has_recipient_data: 0, shipping_enabled: 0 });
      expect(p.logs.text()).not.toContain(CANARY);
    });

    it("stores no buyer data when FBM order processing is off for the account", async () => {
      const { db, upsert } = await setup();
      const result = await upsert([apiOrder()], false);
      expect(result).toMatchObject({ inserted: 1, piiWritten: 0, piiDropped: 1 });
      expect(await db.selectFrom("order_buyer_pii").selectAll().execute()).toEqual([]);
    });

    it("keeps sealed values a later record leaves unknown, re-seals nothing unchanged, and dates retention", async () => {
      const { p, db, accountId, upsert } = await setup();
      await upsert([apiOrder()]);
      const sealed = await db.selectFrom("order_buyer_pii").selectAll().executeTakeFirstOrThrow();
      expect(sealed.purge_after).toBeNull();
      // Same data again: nothing is re-sealed (the ciphertext does not churn).
      expect((await upsert([apiOrder()])).piiWritten).toBe(0);
      expect(await db.selectFrom("order_buyer_pii").selectAll().executeTakeFirstOrThrow()).toEqual(sealed);
      // Delivered later; this record carries no phone and no buyer data at all for the name.
      await upsert([
        apiOrder({
          status: "SHIPPED",
          lastUpdatedAt: "2026-11-04T00:00:00.000Z",
          deliveredAt: "2026-11-04T00:00:00.000Z",
          pii: pii({ phone: null, buyerName: null, city: "Tacoma" }),
        }),
      ]);
      const after = await db.selectFrom("order_buyer_pii").selectAll().executeTakeFirstOrThrow();
      expect(after).toMatchObject({
        delivered_at: "2026-11-04T00:00:00.000Z",
        purge_after: "2026-12-04T00:00:00.000Z",
      });
      expect(after.phone).toBe(sealed.phone);
      expect(after.buyer_name).toBe(sealed.buyer_name);
      expect(after.city).not.toBe(sealed.city);
      expect(await readOrderPii(db, p.fields, accountId, "111-0000001-0000001")).toEqual(
        pii({ city: "Tacoma" }),
      );
      // A delivery reported without any buyer data still moves the retention date.
      await upsert([
        apiOrder({
          lastUpdatedAt: "2026-11-05T00:00:00.000Z",
          deliveredAt: "2026-11-05T00:00:00.000Z",
          pii: null,
        }),
      ]);
      expect(
        (await db.selectFrom("order_buyer_pii").select("purge_after").executeTakeFirstOrThrow()).purge_after,
      ).toBe("2026-12-05T00:00:00.000Z");
    });

    it("stores unknown enum values as sent, flagged and counted, and rejects invalid records without throwing", async () => {
      const { db, accountId, upsert } = await setup();
      const result = await upsert([
        order({ status: "TELEPORTED", unknownEnum: true }),
        order({ amazonOrderId: "111-0000003-0000001", purchaseDate: "yesterday" }),
        order({ amazonOrderId: "111-0000003-0000002", totalMinor: 0.5 }),
        order({ amazonOrderId: "" }),
      ]);
      expect(result).toMatchObject({ received: 4, rejected: 3, inserted: 1, unknownEnums: 1 });
      const stored = await getOrder(db, accountId, "111-0000001-0000001");
      expect(stored?.order).toMatchObject({ status: "TELEPORTED", unknown_enum: 1 });
      // Once Amazon's record carries a known status again, the flag clears.
      await upsert([order({ status: "SHIPPED", lastUpdatedAt: "2026-11-03T00:00:00.000Z" })]);
      expect((await getOrder(db, accountId, "111-0000001-0000001"))?.order.unknown_enum).toBe(0);
    });

    it("replaces a report line by the API item of the same SKU and never drops items a record omits", async () => {
      const { db, accountId, upsert } = await setup();
      await upsert([order({ items: [item(), item({ itemKey: "r:SKU-2", sku: "SKU-2", title: null })] })]);
      const result = await upsert([
        apiOrder({
          items: [item({ itemKey: "90000000000101", orderItemId: "90000000000101", title: null })],
        }),
      ]);
      expect(result).toMatchObject({ updated: 1, itemsReplaced: 1, itemsWritten: 1 });
      const stored = await getOrder(db, accountId, "111-0000001-0000001");
      expect(stored?.items.map((i) => [i.item_key, i.sku, i.title, i.order_item_id])).toEqual([
        ["90000000000101", "SKU-1", "Blue mug", "90000000000101"],
        ["r:SKU-2", "SKU-2", null, null],
      ]);
      // A record without items (null) leaves them all in place.
      await upsert([apiOrder({ lastUpdatedAt: "2026-11-06T00:00:00.000Z", items: null })]);
      expect((await getOrder(db, accountId, "111-0000001-0000001"))?.items).toHaveLength(2);
    });

    it("merges the same order twice in one batch in order, newest last-updated winning", async () => {
      const { db, accountId, upsert } = await setup();
      const result = await upsert([
        order({ status: "SHIPPED", lastUpdatedAt: "2026-11-02T00:00:00.000Z" }),
        order({ status: "UNSHIPPED" }),
      ]);
      expect(result).toMatchObject({ inserted: 1, staleIgnored: 1 });
      expect((await getOrder(db, accountId, "111-0000001-0000001"))?.order.status).toBe("SHIPPED");
    });

    it("keeps accounts apart: the same Amazon order id in two accounts is two orders", async () => {
      const { p, db, accountId, upsert } = await setup();
      const other = await createSellerAccount(db, p.fields, { name: "Other", region: "eu" }, p.clock.now());
      await upsert([apiOrder()]);
      await upsertOrders(db, p.fields, other.id, [apiOrder({ pii: pii({ city: "Bonn" }) })], {
        now: p.clock.now(),
        shippingEnabled: true,
      });
      expect(await db.selectFrom("orders").select("id").execute()).toHaveLength(2);
      expect((await readOrderPii(db, p.fields, accountId, "111-0000001-0000001"))?.city).toBe("Seattle");
      expect((await readOrderPii(db, p.fields, other.id, "111-0000001-0000001"))?.city).toBe("Bonn");
    });

    it("two workers storing overlapping batches at once end with one copy of each order", async () => {
      const { p, db, upsert } = await setup();
      const batch = Array.from({ length: 60 }, (_, i) =>
        apiOrder({ amazonOrderId: `111-${String(i).padStart(7, "0")}-0000009` }),
      );
      const results = await Promise.all([
        upsert(batch),
        upsert([...batch].reverse()),
        upsert(batch.slice(10, 40)),
      ]);
      expect(results.reduce((n, r) => n + r.inserted, 0)).toBeGreaterThanOrEqual(60);
      expect(await db.selectFrom("orders").select("id").execute()).toHaveLength(60);
      expect(await db.selectFrom("order_items").select("order_id").execute()).toHaveLength(60);
      const sealed = await db.selectFrom("order_buyer_pii").selectAll().execute();
      expect(sealed).toHaveLength(60);
      for (const row of sealed.slice(0, 3)) {
        const amazonId = (
          await db
            .selectFrom("orders")
            .select("amazon_order_id")
            .where("id", "=", row.order_id)
            .executeTakeFirstOrThrow()
        ).amazon_order_id;
        expect(await readOrderPii(db, p.fields, row.account_id, amazonId)).toEqual(pii());
      }
    });
  });
}
