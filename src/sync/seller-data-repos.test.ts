import { afterEach, describe, expect, it } from "vitest";
import { openTestProtection, type TestProtection } from "../../test/support/protection.js";
import { STORES } from "../../test/support/stores.js";
import { createSellerAccount } from "../accounts/accounts-repo.js";
import { type FinancialEvent, financeTotals, insertFinancialEvents } from "./financial-events-repo.js";
import { type InventorySummary, listInventory, upsertInventorySummaries } from "./inventory-repo.js";
import { type CompetitivePrice, listPrices, upsertPrices } from "./prices-repo.js";

const open: TestProtection[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.dispose();
});

const now = new Date("2026-11-28T12:00:00.000Z");

function summary(overrides: Partial<InventorySummary> = {}): InventorySummary {
  return {
    marketplace: "ATVPDKIKX0DER",
    sku: "SKU-1",
    asin: "B000000001",
    fnSku: "X000001",
    productName: "Blue mug",
    condition: "NewItem",
    fulfillable: 10,
    inbound: 2,
    reserved: 1,
    unfulfillable: 0,
    total: 13,
    lastUpdatedAt: "2026-11-28T10:00:00.000Z",
    ...overrides,
  };
}

function price(overrides: Partial<CompetitivePrice> = {}): CompetitivePrice {
  return {
    marketplace: "ATVPDKIKX0DER",
    asin: "B000000001",
    sku: "SKU-1",
    currency: "USD",
    ownPriceMinor: 1299,
    buyBoxPriceMinor: 1249,
    lowestPriceMinor: 1199,
    isBuyBoxWinner: false,
    offerCount: 4,
    asOf: "2026-11-28T10:00:00.000Z",
    ...overrides,
  };
}

function fee(overrides: Partial<FinancialEvent> = {}): FinancialEvent {
  return {
    eventType: "ShipmentEvent",
    postedDate: "2026-11-02T08:00:00.000Z",
    amazonOrderId: "111-0000001-0000001",
    sku: "SKU-1",
    feeType: "Commission",
    amountMinor: -195,
    currency: "USD",
    ...overrides,
  };
}

for (const target of STORES) {
  describe.skipIf(target.skip)(`inventory, prices and finances on ${target.name}`, () => {
    async function setup() {
      const p = await openTestProtection(target.name);
      open.push(p);
      const db = p.data.database.db;
      const account = await createSellerAccount(db, p.fields, { name: "Brand", region: "na" }, now);
      return { db, accountId: account.id };
    }

    it("inventory: newest summary wins, older ones are ignored and counted, unknown names are kept", async () => {
      const { db, accountId } = await setup();
      expect(
        await upsertInventorySummaries(
          db,
          accountId,
          [summary(), summary({ sku: "SKU-2", fulfillable: 1 })],
          { now },
        ),
      ).toEqual({
        received: 2,
        rejected: 0,
        written: 2,
        staleIgnored: 0,
      });
      const r = await upsertInventorySummaries(
        db,
        accountId,
        [
          summary({ fulfillable: 99, lastUpdatedAt: "2026-11-27T00:00:00.000Z" }),
          summary({
            sku: "SKU-2",
            fulfillable: 0,
            productName: null,
            lastUpdatedAt: "2026-11-28T11:00:00.000Z",
          }),
          summary({ sku: "SKU-3", fulfillable: -1 }),
        ],
        { now },
      );
      expect(r).toEqual({ received: 3, rejected: 1, written: 1, staleIgnored: 1 });
      const low = await listInventory(db, accountId, { below: 5, limit: 10 });
      expect(low.map((i) => [i.sku, i.fulfillable_quantity, i.product_name])).toEqual([
        ["SKU-2", 0, "Blue mug"],
      ]);
      expect(
        (await listInventory(db, accountId, { limit: 10 })).find((i) => i.sku === "SKU-1")
          ?.fulfillable_quantity,
      ).toBe(10);
    });

    it("prices: a newer snapshot replaces the stored one whole, an older one is ignored", async () => {
      const { db, accountId } = await setup();
      await upsertPrices(db, accountId, [price()], { now });
      const stale = await upsertPrices(
        db,
        accountId,
        [price({ ownPriceMinor: 1, asOf: "2026-11-27T00:00:00.000Z" })],
        { now },
      );
      expect(stale).toMatchObject({ staleIgnored: 1, written: 0 });
      await upsertPrices(
        db,
        accountId,
        [
          price({
            buyBoxPriceMinor: null,
            isBuyBoxWinner: null,
            sku: null,
            asOf: "2026-11-28T11:00:00.000Z",
          }),
        ],
        {
          now,
        },
      );
      const [row] = await listPrices(db, accountId, { limit: 10 });
      expect(row).toMatchObject({
        own_price_minor: 1299,
        buy_box_price_minor: null,
        sku: "SKU-1",
        as_of: "2026-11-28T11:00:00.000Z",
      });
    });

    it("financial events: storing a page twice keeps one copy; identical amounts in one page are kept apart", async () => {
      const { db, accountId } = await setup();
      const page = [
        fee(),
        fee(),
        fee({ feeType: "FBAPerUnitFulfillmentFee", amountMinor: -322 }),
        fee({ feeType: "Principal", amountMinor: 1299, postedDate: "2026-12-01T00:00:00.000Z" }),
      ];
      expect(await insertFinancialEvents(db, accountId, page, { now })).toEqual({
        received: 4,
        rejected: 0,
        inserted: 4,
        duplicates: 0,
      });
      expect(await insertFinancialEvents(db, accountId, page, { now })).toEqual({
        received: 4,
        rejected: 0,
        inserted: 0,
        duplicates: 4,
      });
      expect(
        await insertFinancialEvents(db, accountId, [fee({ amountMinor: 1.5 }), fee({ currency: "usd" })], {
          now,
        }),
      ).toMatchObject({
        rejected: 2,
        inserted: 0,
      });
      expect(
        await financeTotals(db, accountId, { from: "2026-11-01", to: "2027-01-01", period: "month" }),
      ).toEqual([
        {
          period: "2026-11",
          eventType: "ShipmentEvent",
          feeType: "Commission",
          currency: "USD",
          totalMinor: -390,
          count: 2,
        },
        {
          period: "2026-11",
          eventType: "ShipmentEvent",
          feeType: "FBAPerUnitFulfillmentFee",
          currency: "USD",
          totalMinor: -322,
          count: 1,
        },
        {
          period: "2026-12",
          eventType: "ShipmentEvent",
          feeType: "Principal",
          currency: "USD",
          totalMinor: 1299,
          count: 1,
        },
      ]);
    });
  });
}
