import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DAY, isoSeconds } from "./clock.js";
import { financialEventsOf } from "./finances-routes.js";
import { type SandboxHarness, startHarness } from "./test-harness.js";

let h: SandboxHarness;
let token: string;
beforeAll(async () => {
  h = await startHarness({ orders: 6_000, rateLimits: { listFinancialEvents: { rate: 100, burst: 1000 } } });
  token = await h.token(0);
});
afterAll(async () => {
  await h.close();
});

describe("listFinancialEvents", () => {
  it("pages through every shipment and refund event posted in the window, exactly once", async () => {
    const data = h.running.sandbox.context.data;
    const seller = data.sellers[0];
    if (!seller) throw new Error("no seller");
    const after = data.endMs - 200 * DAY;
    const before = data.endMs - 20 * DAY;
    const expected = Array.from({ length: data.countFor(seller) }, (_, j) => data.orderOf(seller, j))
      .flatMap(financialEventsOf)
      .filter((e) => e.postedMs >= after && e.postedMs < before)
      .map((e) => `${e.kind}:${(e.event as { AmazonOrderId: string }).AmazonOrderId}`)
      .sort();
    const got: string[] = [];
    let next: string | undefined;
    let pages = 0;
    do {
      const q = next
        ? `NextToken=${encodeURIComponent(next)}`
        : `PostedAfter=${isoSeconds(after)}&PostedBefore=${isoSeconds(before)}&MaxResultsPerPage=7`;
      const res = await h.call("GET", `/finances/v0/financialEvents?${q}`, token);
      expect(res.status).toBe(200);
      const payload = res.json().payload as {
        NextToken?: string;
        FinancialEvents: {
          ShipmentEventList: { AmazonOrderId: string }[];
          RefundEventList: { AmazonOrderId: string }[];
        };
      };
      const { ShipmentEventList, RefundEventList } = payload.FinancialEvents;
      expect(ShipmentEventList.length + RefundEventList.length).toBeLessThanOrEqual(7);
      got.push(...ShipmentEventList.map((e) => `shipment:${e.AmazonOrderId}`));
      got.push(...RefundEventList.map((e) => `refund:${e.AmazonOrderId}`));
      next = payload.NextToken;
      pages++;
    } while (next);
    expect(expected.some((e) => e.startsWith("refund:"))).toBe(true);
    expect(got.sort()).toEqual(expected);
    expect(pages).toBeGreaterThanOrEqual(Math.ceil(expected.length / 7));
  });

  it("needs PostedAfter before PostedBefore and rejects bad page sizes", async () => {
    const at = isoSeconds(h.running.sandbox.context.data.endMs - DAY);
    for (const q of [
      "",
      `PostedAfter=${at}&PostedBefore=${at}`,
      `PostedAfter=${at}&MaxResultsPerPage=0`,
      "NextToken=x",
    ]) {
      const res = await h.call("GET", `/finances/v0/financialEvents?${q}`, token);
      expect(res.status, q).toBe(400);
    }
  });
});
