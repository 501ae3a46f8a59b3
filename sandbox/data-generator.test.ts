import { describe, expect, it } from "vitest";
import { DAY } from "./clock.js";
import { HISTORY_MS, MAX_UPDATE_LAG_MS, OrderData, type OrderRecord } from "./data-generator.js";
import { financialEventsOf } from "./finances-routes.js";
import { orderView } from "./order-views.js";

const END = Date.parse("2026-06-01T12:00:00Z");
const make = (over: Partial<ConstructorParameters<typeof OrderData>[0]> = {}) =>
  new OrderData({ orders: 5_000, seed: 42, sellers: 3, endMs: END, piiCanary: "CANARY-x9", ...over });

function everyOrder(data: OrderData): OrderRecord[] {
  return data.sellers.flatMap((s) => Array.from({ length: data.countFor(s) }, (_, j) => data.orderOf(s, j)));
}

describe("order generator", () => {
  it("is deterministic: same seed, same sellers and orders; another seed, other data", () => {
    const a = make();
    const b = make();
    expect(b.sellers.map((s) => s.sellingPartnerId)).toEqual(a.sellers.map((s) => s.sellingPartnerId));
    expect(JSON.stringify(everyOrder(b))).toBe(JSON.stringify(everyOrder(a)));
    const c = make({ seed: 43 });
    expect(c.sellers[0]?.sellingPartnerId).not.toBe(a.sellers[0]?.sellingPartnerId);
    expect(c.orderOf(c.sellers[0] as never, 0).orderId).not.toBe(a.orderOf(a.sellers[0] as never, 0).orderId);
  });

  it("embeds the PII canary in every buyer name and every address line", () => {
    const all = new Set(["BUYER", "RECIPIENT"] as const);
    for (const order of everyOrder(make())) {
      const view = orderView(order, all) as {
        buyer: { buyerName: string; buyerEmail: string };
        recipient: { deliveryAddress: { name: string; addressLine1: string; addressLine2: string } };
      };
      const { name, addressLine1, addressLine2 } = view.recipient.deliveryAddress;
      for (const line of [view.buyer.buyerName, name, addressLine1, addressLine2])
        expect(line).toContain("CANARY-x9");
      expect(view.buyer.buyerEmail).toMatch(/^CANARY-x9\.[a-z0-9]+@marketplace\.amazon\.com$/);
    }
    expect(JSON.stringify(everyOrder(make({ piiCanary: undefined })))).not.toContain("CANARY");
  });

  it("spreads orders over the two years before now, with consistent times, ids and amounts", () => {
    const data = make();
    const orders = everyOrder(data);
    expect(orders).toHaveLength(5_000);
    for (const order of orders) {
      expect(order.createdMs).toBeGreaterThanOrEqual(END - HISTORY_MS);
      expect(order.createdMs).toBeLessThan(END);
      expect(order.lastUpdatedMs).toBeGreaterThanOrEqual(order.createdMs);
      expect(order.lastUpdatedMs).toBeLessThanOrEqual(Math.min(END, order.createdMs + MAX_UPDATE_LAG_MS));
      expect(order.orderId).toMatch(/^\d{3}-\d{7}-\d{7}$/);
      expect(data.findOrder(order.orderId)).toEqual(order);
      for (const e of financialEventsOf(order))
        expect(e.postedMs).toBeLessThanOrEqual(order.createdMs + MAX_UPDATE_LAG_MS);
    }
    for (const seller of data.sellers) {
      const created = orders.filter((o) => o.seller === seller).map((o) => o.createdMs);
      expect(created).toEqual([...created].sort((x, y) => x - y));
      const cut = END - 100 * DAY;
      const j = data.firstLocalCreatedAtOrAfter(seller, cut);
      expect(created.findIndex((ms) => ms >= cut)).toBe(j);
    }
    expect(new Set(orders.map((o) => o.orderId)).size).toBe(orders.length);
  });

  it("makes a realistic mix: FBA and FBM, every status, refunds, several marketplaces", () => {
    const orders = everyOrder(make({ orders: 50_000 }));
    const share = (pred: (o: OrderRecord) => boolean) => orders.filter(pred).length / orders.length;
    expect(share((o) => o.fulfilledBy === "AMAZON")).toBeGreaterThan(0.6);
    expect(share((o) => o.fulfilledBy === "MERCHANT")).toBeGreaterThan(0.2);
    expect(share((o) => o.status === "CANCELLED")).toBeGreaterThan(0.01);
    expect(share((o) => o.refund !== undefined)).toBeGreaterThan(0.02);
    expect(new Set(orders.map((o) => o.status))).toEqual(
      new Set(["PENDING", "UNSHIPPED", "SHIPPED", "CANCELLED"]),
    );
    expect(new Set(orders.map((o) => o.marketplace.id)).size).toBeGreaterThanOrEqual(4);
    expect(orders.some((o) => o.items.length > 1)).toBe(true);
  });

  it("derives order i on demand: 200,000 orders cost no memory up front and stay fast to read", () => {
    const data = make({ orders: 200_000, sellers: 4 });
    const seller = data.sellers[2];
    if (!seller) throw new Error("no seller");
    const started = performance.now();
    let items = 0;
    for (let j = 0; j < data.countFor(seller); j++) items += data.orderOf(seller, j).items.length;
    expect(items).toBeGreaterThan(50_000);
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(data.findOrder(data.orderOf(seller, 49_999).orderId)?.index).toBe(49_999 * 4 + 2);
  });
});
