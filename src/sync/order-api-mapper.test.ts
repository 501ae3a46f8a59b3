import { describe, expect, it } from "vitest";
import type { Order } from "../amazon/operations/orders.js";
import { flattenEvents } from "./finances-sync.js";
import { normalizeApiOrder } from "./order-api-mapper.js";
import { normalizedOrderSchema } from "./order-model.js";

const order = (patch: Partial<Order> = {}): Order => ({
  orderId: "111-2223334-4445556",
  createdTime: "2026-03-01T10:00:00Z",
  lastUpdatedTime: "2026-03-02T11:00:00Z",
  programs: ["PRIME"],
  salesChannel: { channelName: "AMAZON", marketplaceId: "ATVPDKIKX0DER" },
  fulfillment: {
    fulfillmentStatus: "UNSHIPPED",
    fulfilledBy: "MERCHANT",
    fulfillmentServiceLevel: "STANDARD",
  },
  proceeds: { grandTotal: { amount: "31.97", currencyCode: "USD" } },
  buyer: { buyerName: "Ada Buyer" },
  recipient: {
    deliveryAddress: { name: "Ada", addressLine1: "1 Main St", city: "Springfield", countryCode: "us" },
  },
  orderItems: [
    {
      orderItemId: "OI-1",
      quantityOrdered: 2,
      product: {
        asin: "B00TEST001",
        sellerSku: "SKU-1",
        title: "Mug",
        price: { unitPrice: { amount: "12.99", currencyCode: "USD" } },
      },
      proceeds: {
        breakdowns: [
          { type: "ITEM", subtotal: { amount: "25.98", currencyCode: "USD" } },
          { type: "TAX", subtotal: { amount: "2.10", currencyCode: "USD" } },
          { type: "DISCOUNT", subtotal: { amount: "-1.00", currencyCode: "USD" } },
        ],
      },
    },
  ],
  ...patch,
});

describe("Orders API -> normalized order", () => {
  it("maps money exactly, items by order item id, and buyer data as PII", () => {
    const n = normalizeApiOrder(order());
    if (typeof n === "string") throw new Error(n);
    expect(normalizedOrderSchema.safeParse(n).success).toBe(true);
    expect(n).toMatchObject({
      source: "api",
      status: "UNSHIPPED",
      fulfillmentChannel: "FBM",
      purchaseDate: "2026-03-01T10:00:00.000Z",
      totalMinor: 3197,
      currency: "USD",
      unitCount: 2,
      shipCountry: "US",
      isPrime: true,
      isBusiness: false,
      unknownEnum: false,
    });
    expect(n.items?.[0]).toMatchObject({
      itemKey: "OI-1",
      itemPriceMinor: 2598,
      itemTaxMinor: 210,
      promotionDiscountMinor: -100,
      shippingPriceMinor: null,
    });
    expect(n.pii).toMatchObject({ buyerName: "Ada Buyer", addressLine1: "1 Main St", phone: null });
  });

  it("keeps unknown values flagged, unreadable money unknown, and refuses records without status or dates", () => {
    const odd = normalizeApiOrder(
      order({
        fulfillment: { fulfillmentStatus: "ON_THE_MOON", fulfilledBy: "DRONE" },
        proceeds: { grandTotal: { amount: "12.3456", currencyCode: "USD" } },
        buyer: undefined,
        recipient: undefined,
      }),
    );
    if (typeof odd === "string") throw new Error(odd);
    expect(odd).toMatchObject({
      status: "ON_THE_MOON",
      fulfillmentChannel: "DRONE",
      unknownEnum: true,
      totalMinor: null,
      pii: null,
    });
    expect(normalizeApiOrder(order({ fulfillment: undefined }))).toBe("MISSING_STATUS");
    expect(normalizeApiOrder(order({ lastUpdatedTime: "yesterday" }))).toBe("BAD_DATE");
  });
});

describe("financial events -> rows", () => {
  it("flattens charges, fees and promotions into minor units and counts unreadable amounts", () => {
    const { rows, bad } = flattenEvents("ShipmentEvent", [
      {
        AmazonOrderId: "111-2223334-4445556",
        PostedDate: "2026-03-03T00:00:00Z",
        ShipmentItemList: [
          {
            SellerSKU: "SKU-1",
            ItemChargeList: [
              { ChargeType: "Principal", ChargeAmount: { CurrencyCode: "USD", CurrencyAmount: 25.98 } },
            ],
            ItemFeeList: [
              { FeeType: "Commission", FeeAmount: { CurrencyCode: "USD", CurrencyAmount: -3.9 } },
              { FeeType: "Broken", FeeAmount: { CurrencyCode: "XX", CurrencyAmount: 1 } },
            ],
            PromotionList: [
              { PromotionType: "X", PromotionAmount: { CurrencyCode: "JPY", CurrencyAmount: -100 } },
            ],
          },
        ],
      },
    ]);
    expect(bad).toBe(1);
    expect(rows.map((r) => [r.feeType, r.amountMinor, r.currency])).toEqual([
      ["Principal", 2598, "USD"],
      ["Commission", -390, "USD"],
      ["Promotion", -100, "JPY"],
    ]);
    expect(rows[0]).toMatchObject({
      eventType: "ShipmentEvent",
      postedDate: "2026-03-03T00:00:00.000Z",
      sku: "SKU-1",
    });
  });
});
