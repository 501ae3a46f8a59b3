import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DAY, HOUR, isoSeconds } from "./clock.js";
import type { OrderRecord } from "./data-generator.js";
import { type SandboxHarness, startHarness } from "./test-harness.js";

let h: SandboxHarness;
let token: string;
let noPiiToken: string;

beforeAll(async () => {
  // Generous buckets: these tests are about paging and filters; rate limits have their own tests.
  h = await startHarness({
    orders: 4_000,
    withoutPiiRole: [1],
    rateLimits: { searchOrders: { rate: 100, burst: 1000 }, getOrder: { rate: 100, burst: 1000 } },
  });
  token = await h.token(0);
  noPiiToken = await h.token(1);
});
afterAll(async () => {
  await h.close();
});

function allOrders(sellerIndex: number): OrderRecord[] {
  const data = h.running.sandbox.context.data;
  const seller = data.sellers[sellerIndex];
  if (!seller) throw new Error("no seller");
  return Array.from({ length: data.countFor(seller) }, (_, j) => data.orderOf(seller, j));
}

async function pageAll(query: string, accessToken = token) {
  const ids: string[] = [];
  let pages = 0;
  let next: string | undefined;
  do {
    const q = next ? `paginationToken=${encodeURIComponent(next)}` : query;
    const res = await h.call("GET", `/orders/2026-01-01/orders?${q}`, accessToken);
    expect(res.status).toBe(200);
    const body = res.json() as { orders: { orderId: string }[]; pagination?: { nextToken: string } };
    ids.push(...body.orders.map((o) => o.orderId));
    next = body.pagination?.nextToken;
    pages++;
  } while (next);
  return { ids, pages };
}

describe("searchOrders", () => {
  it("pages through every order created in a window, 100 at most per page, in creation order", async () => {
    const end = h.running.sandbox.context.data.endMs;
    const from = end - 120 * DAY;
    const expected = allOrders(0)
      .filter((o) => o.createdMs >= from)
      .map((o) => o.orderId);
    const { ids, pages } = await pageAll(`createdAfter=${isoSeconds(from)}&maxResultsPerPage=37`);
    expect(expected.length).toBeGreaterThan(100);
    expect(ids).toEqual(expected);
    expect(pages).toBe(Math.ceil(expected.length / 37));
  });

  it("filters by lastUpdatedAfter/Before, marketplace, fulfilment channel and status", async () => {
    const end = h.running.sandbox.context.data.endMs;
    const after = end - 60 * DAY;
    const before = end - 10 * DAY;
    const market = h.running.sandbox.sellers[0]?.marketplaceIds[0] ?? "";
    const expected = allOrders(0)
      .filter(
        (o) =>
          o.lastUpdatedMs >= after &&
          o.lastUpdatedMs < before &&
          o.marketplace.id === market &&
          o.fulfilledBy === "AMAZON" &&
          o.status === "SHIPPED",
      )
      .map((o) => o.orderId)
      .sort();
    const { ids } = await pageAll(
      `lastUpdatedAfter=${isoSeconds(after)}&lastUpdatedBefore=${isoSeconds(before)}&marketplaceIds=${market}&fulfilledBy=AMAZON&fulfillmentStatuses=SHIPPED`,
    );
    expect(expected.length).toBeGreaterThan(10);
    expect([...ids].sort()).toEqual(expected);
  });

  it("answers the base order without datasets and adds the requested datasets", async () => {
    const recent = isoSeconds(h.running.sandbox.context.data.endMs - 30 * DAY);
    const plain = (
      await h.call("GET", `/orders/2026-01-01/orders?createdAfter=${recent}&maxResultsPerPage=5`, token)
    ).json();
    const first = (plain.orders as Record<string, unknown>[])[0] ?? {};
    expect(first).not.toHaveProperty("buyer");
    expect(first).not.toHaveProperty("fulfillment");
    const rich = (
      await h.call(
        "GET",
        `/orders/2026-01-01/orders?createdAfter=${recent}&maxResultsPerPage=5&includedData=BUYER,RECIPIENT,FULFILLMENT`,
        token,
      )
    ).json();
    const order = (rich.orders as Record<string, Record<string, unknown>>[])[0];
    expect(order?.buyer?.buyerName).toEqual(expect.any(String));
    expect(order?.recipient).toHaveProperty("deliveryAddress");
    expect(order?.fulfillment?.fulfillmentStatus).toEqual(expect.any(String));
  });

  it("refuses buyer or recipient data when the application lacks the role, but serves the rest", async () => {
    const recent = isoSeconds(h.running.sandbox.context.data.endMs - 30 * DAY);
    for (const dataset of ["BUYER", "RECIPIENT", "PROCEEDS,RECIPIENT"]) {
      const res = await h.call(
        "GET",
        `/orders/2026-01-01/orders?createdAfter=${recent}&includedData=${dataset}`,
        noPiiToken,
      );
      expect(res.status).toBe(403);
      expect(res.json().errors).toEqual([expect.objectContaining({ code: "Unauthorized" })]);
    }
    const ok = await h.call(
      "GET",
      `/orders/2026-01-01/orders?createdAfter=${recent}&includedData=PROCEEDS`,
      noPiiToken,
    );
    expect(ok.status).toBe(200);
    await h.admin({ grantPiiRole: h.running.sandbox.sellers[1]?.sellingPartnerId });
    const granted = await h.call(
      "GET",
      `/orders/2026-01-01/orders?createdAfter=${recent}&includedData=BUYER`,
      noPiiToken,
    );
    expect(granted.status).toBe(200);
    await h.admin({ removePiiRole: h.running.sandbox.sellers[1]?.sellingPartnerId });
  });

  it("answers 400 InvalidInput for missing or conflicting dates, bad page sizes, tokens and enums", async () => {
    const at = isoSeconds(h.running.sandbox.context.data.endMs - DAY);
    for (const query of [
      "",
      `createdAfter=${at}&lastUpdatedAfter=${at}`,
      `createdAfter=${at}&maxResultsPerPage=101`,
      `createdAfter=not-a-date`,
      `createdAfter=${at}&fulfillmentStatuses=LOST`,
      `createdAfter=${at}&includedData=EVERYTHING`,
      "paginationToken=%%%garbage",
      `createdAfter=${isoSeconds(h.running.sandbox.context.data.endMs + DAY)}`,
    ]) {
      const res = await h.call("GET", `/orders/2026-01-01/orders?${query}`, token);
      expect(res.status, query).toBe(400);
      expect(res.json().errors).toEqual([expect.objectContaining({ code: "InvalidInput" })]);
    }
  });
});

describe("getOrder and confirmShipment", () => {
  it("finds the seller's own order and hides other sellers' orders", async () => {
    const own = allOrders(0)[10] as OrderRecord;
    const other = allOrders(1)[10] as OrderRecord;
    const res = await h.call("GET", `/orders/2026-01-01/orders/${own.orderId}?includedData=PACKAGES`, token);
    expect(res.status).toBe(200);
    expect((res.json().order as Record<string, unknown>).orderId).toBe(own.orderId);
    expect((await h.call("GET", `/orders/2026-01-01/orders/${other.orderId}`, token)).status).toBe(404);
    expect((await h.call("GET", "/orders/2026-01-01/orders/111-0000000-0000000", token)).status).toBe(404);
  });

  it("confirms shipment of an unshipped FBM order, which then shows as shipped and recently updated", async () => {
    const order = allOrders(0).find((o) => o.fulfilledBy === "MERCHANT" && o.status === "UNSHIPPED");
    if (!order) throw new Error("the generator made no unshipped FBM order");
    const now = h.running.sandbox.context.time.now();
    const body = {
      marketplaceId: order.marketplace.id,
      packageDetail: {
        packageReferenceId: "PKG-1",
        carrierCode: "UPS",
        trackingNumber: "1Z999",
        shipDate: isoSeconds(now),
        orderItems: order.items.map((i) => ({ orderItemId: i.orderItemId, quantity: i.quantity })),
      },
    };
    const path = `/orders/v0/orders/${order.orderId}/shipmentConfirmation`;
    expect((await h.call("POST", path, token, { ...body, marketplaceId: "WRONG" })).status).toBe(400);
    expect((await h.call("POST", path, token, body)).status).toBe(204);
    expect((await h.call("POST", path, token, body)).status).toBe(400); // already shipped
    h.clock.advance(HOUR);
    token = await h.token(0); // the old one just expired
    const found = await pageAll(
      `lastUpdatedAfter=${isoSeconds(now - 1000)}&fulfillmentStatuses=SHIPPED&fulfilledBy=MERCHANT`,
    );
    expect(found.ids).toContain(order.orderId);
    const view = (
      await h.call(
        "GET",
        `/orders/2026-01-01/orders/${order.orderId}?includedData=PACKAGES,FULFILLMENT`,
        token,
      )
    ).json().order as { packages: { trackingNumber: string }[]; fulfillment: { fulfillmentStatus: string } };
    expect(view.packages[0]?.trackingNumber).toBe("1Z999");
    expect(view.fulfillment.fulfillmentStatus).toBe("SHIPPED");
  });
});
