import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PRODUCTS_PER_SELLER } from "./catalog.js";
import { type SandboxHarness, startHarness } from "./test-harness.js";

let h: SandboxHarness;
let token: string;
beforeAll(async () => {
  h = await startHarness({
    rateLimits: {
      getInventorySummaries: { rate: 100, burst: 100 },
      getCompetitiveSummary: { rate: 100, burst: 100 },
      createRestrictedDataToken: { rate: 100, burst: 100 },
    },
    withoutPiiRole: [1],
  });
  token = await h.token(0);
});
afterAll(async () => {
  await h.close();
});

describe("inventory summaries", () => {
  it("pages the seller's FBA SKUs per marketplace and filters by SKU", async () => {
    const market = h.running.sandbox.sellers[0]?.marketplaceIds[1] ?? "";
    const base = `/fba/inventory/v1/summaries?granularityType=Marketplace&granularityId=${market}&marketplaceIds=${market}`;
    const first = (await h.call("GET", `${base}&details=true`, token)).json() as {
      payload: {
        inventorySummaries: { sellerSku: string; totalQuantity: number; inventoryDetails?: unknown }[];
      };
      pagination?: { nextToken: string };
    };
    expect(first.payload.inventorySummaries.length).toBeLessThanOrEqual(50);
    expect(first.payload.inventorySummaries[0]?.inventoryDetails).toBeDefined();
    const skus = first.payload.inventorySummaries.map((s) => s.sellerSku);
    expect(skus).toHaveLength(PRODUCTS_PER_SELLER);
    const one = (await h.call("GET", `${base}&sellerSkus=${skus[3]}`, token)).json() as typeof first;
    expect(one.payload.inventorySummaries.map((s) => s.sellerSku)).toEqual([skus[3]]);
    expect(one.payload.inventorySummaries[0]).not.toHaveProperty("inventoryDetails");
    const foreign = h.running.sandbox.sellers[1]?.marketplaceIds[0];
    const refused = await h.call(
      "GET",
      `/fba/inventory/v1/summaries?granularityType=Marketplace&granularityId=${foreign}&marketplaceIds=${foreign}`,
      token,
    );
    expect(refused.status).toBe(400);
  });
});

describe("competitive summary", () => {
  it("answers a batch item by item, with per-item errors and a 1..20 batch size", async () => {
    const market = h.running.sandbox.sellers[0]?.marketplaceIds[0];
    const item = (asin: string) => ({
      asin,
      marketplaceId: market,
      includedData: ["featuredBuyingOptions", "referencePrices"],
      method: "GET",
      uri: "/products/pricing/2022-05-01/items/competitiveSummary",
    });
    const path = "/batches/products/pricing/2022-05-01/items/competitiveSummary";
    const res = await h.call("POST", path, token, { requests: [item("B0ABCDEFGH"), item("nope")] });
    const { responses } = res.json() as {
      responses: { status: { statusCode: number }; body: Record<string, unknown> }[];
    };
    expect(responses.map((r) => r.status.statusCode)).toEqual([200, 400]);
    expect(responses[0]?.body.referencePrices).toBeDefined();
    expect(responses[0]?.body).not.toHaveProperty("lowestPricedOffers");
    const again = (await h.call("POST", path, token, { requests: [item("B0ABCDEFGH")] })).json() as {
      responses: unknown[];
    };
    expect(again.responses[0]).toEqual(responses[0]);
    expect(
      (await h.call("POST", path, token, { requests: Array.from({ length: 21 }, () => item("B0ABCDEFGH")) }))
        .status,
    ).toBe(400);
  });
});

describe("restricted data tokens", () => {
  it("covers only the listed method and path, and needs the PII role for buyer data", async () => {
    const data = h.running.sandbox.context.data;
    const order = data.orderOf(data.sellers[0] as never, 5);
    const res = await h.call("POST", "/tokens/2021-03-01/restrictedDataToken", token, {
      restrictedResources: [
        { method: "GET", path: "/orders/2026-01-01/orders/{orderId}", dataElements: ["buyerInfo"] },
      ],
    });
    expect(res.status).toBe(200);
    const { restrictedDataToken, expiresIn } = res.json() as {
      restrictedDataToken: string;
      expiresIn: number;
    };
    expect(expiresIn).toBe(3600);
    expect(
      (await h.call("GET", `/orders/2026-01-01/orders/${order.orderId}`, restrictedDataToken)).status,
    ).toBe(200);
    expect((await h.call("GET", "/sellers/v1/marketplaceParticipations", restrictedDataToken)).status).toBe(
      403,
    );
    const refused = await h.call("POST", "/tokens/2021-03-01/restrictedDataToken", await h.token(1), {
      restrictedResources: [{ method: "GET", path: "/orders/v0/orders", dataElements: ["shippingAddress"] }],
    });
    expect(refused.status).toBe(403);
  });
});
