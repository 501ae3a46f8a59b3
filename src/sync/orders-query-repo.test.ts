import { afterEach, describe, expect, it } from "vitest";
import { item, order } from "../../test/support/orders.js";
import { openTestProtection, type TestProtection } from "../../test/support/protection.js";
import { STORES } from "../../test/support/stores.js";
import { createSellerAccount } from "../accounts/accounts-repo.js";
import { countOrdersByStatus, getOrder, listOrders, salesByDay } from "./orders-query-repo.js";
import { upsertOrders } from "./orders-repo.js";

const open: TestProtection[] = [];
afterEach(async () => {
  for (const p of open.splice(0)) await p.dispose();
});

for (const target of STORES) {
  describe.skipIf(target.skip)(`order reads on ${target.name}`, () => {
    async function setup() {
      const p = await openTestProtection(target.name);
      open.push(p);
      const db = p.data.database.db;
      const now = p.clock.now();
      const account = await createSellerAccount(db, p.fields, { name: "Brand", region: "na" }, now);
      const other = await createSellerAccount(db, p.fields, { name: "Other", region: "na" }, now);
      const orders = Array.from({ length: 7 }, (_, i) =>
        order({
          amazonOrderId: `111-000000${i}-0000001`,
          purchaseDate: `2026-11-0${1 + Math.floor(i / 2)}T1${i}:00:00.000Z`,
          lastUpdatedAt: "2026-11-09T00:00:00.000Z",
          status: i === 6 ? "CANCELLED" : i % 2 === 0 ? "SHIPPED" : "UNSHIPPED",
          fulfillmentChannel: i < 3 ? "FBA" : "FBM",
          totalMinor: 1000 + i,
          items: [item()],
        }),
      );
      await upsertOrders(db, p.fields, account.id, orders, { now, shippingEnabled: false });
      await upsertOrders(db, p.fields, other.id, [order({ amazonOrderId: "111-9999999-0000001" })], {
        now,
        shippingEnabled: false,
      });
      return { db, accountId: account.id };
    }

    it("lists newest purchases first with filters, paging by cursor through every order once", async () => {
      const { db, accountId } = await setup();
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page = await listOrders(db, accountId, {}, { limit: 3, cursor });
        seen.push(...page.orders.map((o) => o.amazon_order_id));
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen).toEqual([6, 5, 4, 3, 2, 1, 0].map((i) => `111-000000${i}-0000001`));
      const fbmUnshipped = await listOrders(
        db,
        accountId,
        { fulfillmentChannel: "FBM", status: ["UNSHIPPED"] },
        { limit: 10 },
      );
      expect(fbmUnshipped.orders.map((o) => o.amazon_order_id)).toEqual([
        "111-0000005-0000001",
        "111-0000003-0000001",
      ]);
      const ranged = await listOrders(
        db,
        accountId,
        {
          purchasedFrom: "2026-11-02T00:00:00.000Z",
          purchasedTo: "2026-11-03T00:00:00.000Z",
          orderIdPrefix: "111-0000003",
        },
        { limit: 10 },
      );
      expect(ranged.orders.map((o) => o.amazon_order_id)).toEqual(["111-0000003-0000001"]);
      // LIKE wildcards in the search are literal.
      expect((await listOrders(db, accountId, { orderIdPrefix: "111-%" }, { limit: 10 })).orders).toEqual([]);
      await expect(listOrders(db, accountId, {}, { limit: 3, cursor: "not-a-cursor" })).rejects.toMatchObject(
        {
          code: "VALIDATION_FAILED",
        },
      );
    });

    it("counts by status, sums sales per day without cancelled orders, and never crosses accounts", async () => {
      const { db, accountId } = await setup();
      expect(await countOrdersByStatus(db, accountId)).toEqual({ SHIPPED: 3, UNSHIPPED: 3, CANCELLED: 1 });
      expect(
        await salesByDay(db, accountId, { from: "2026-11-01T00:00:00.000Z", to: "2026-11-05T00:00:00.000Z" }),
      ).toEqual([
        { day: "2026-11-01", currency: "USD", orders: 2, totalMinor: 2001 },
        { day: "2026-11-02", currency: "USD", orders: 2, totalMinor: 2005 },
        { day: "2026-11-03", currency: "USD", orders: 2, totalMinor: 2009 },
      ]);
      expect(await getOrder(db, accountId, "111-9999999-0000001")).toBeNull();
    });
  });
}
