import type { NormalizedOrder, NormalizedOrderItem, OrderPii } from "../../src/sync/order-model.js";

/** Fixtures for the sync storage tests: one FBM report line order, its items and buyer data. */
export function item(overrides: Partial<NormalizedOrderItem> = {}): NormalizedOrderItem {
  return {
    itemKey: "r:SKU-1",
    orderItemId: null,
    sku: "SKU-1",
    asin: "B000000001",
    title: "Blue mug",
    quantity: 1,
    currency: "USD",
    itemPriceMinor: 1299,
    itemTaxMinor: 107,
    shippingPriceMinor: 0,
    promotionDiscountMinor: null,
    ...overrides,
  };
}

export function order(overrides: Partial<NormalizedOrder> = {}): NormalizedOrder {
  return {
    amazonOrderId: "111-0000001-0000001",
    source: "report",
    marketplace: "ATVPDKIKX0DER",
    status: "UNSHIPPED",
    fulfillmentChannel: "FBM",
    purchaseDate: "2026-11-01T10:00:00.000Z",
    lastUpdatedAt: "2026-11-01T10:05:00.000Z",
    latestShipDate: null,
    latestDeliveryDate: null,
    deliveredAt: null,
    totalMinor: 1406,
    currency: "USD",
    itemCount: 1,
    unitCount: 1,
    shipServiceLevel: "Standard",
    shipCountry: "US",
    isBusiness: false,
    isPrime: null,
    unknownEnum: false,
    items: [item()],
    pii: null,
    ...overrides,
  };
}

export const CANARY = "CANARYpii7f3a";
export function pii(overrides: Partial<OrderPii> = {}): OrderPii {
  return {
    buyerName: `Ada Buyer ${CANARY}`,
    shipName: `Ada Buyer ${CANARY}`,
    addressLine1: `12 Elm Street ${CANARY}`,
    addressLine2: null,
    addressLine3: null,
    city: "Seattle",
    stateOrRegion: "WA",
    postalCode: "98101",
    countryCode: "US",
    phone: "+1 555-0100",
    ...overrides,
  };
}
