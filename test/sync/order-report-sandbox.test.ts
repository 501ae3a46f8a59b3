import { Readable } from "node:stream";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { createGzip } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { OrderData, type OrderRecord } from "../../sandbox/data-generator.js";
import { orderTotal, REPORT_COLUMNS, reportRows } from "../../sandbox/order-views.js";
import { createSellerAccount } from "../../src/accounts/accounts-repo.js";
import type { NormalizedOrder } from "../../src/sync/order-model.js";
import { parseOrderReport } from "../../src/sync/order-report-parser.js";
import { countOrdersByStatus } from "../../src/sync/orders-query-repo.js";
import { upsertOrders } from "../../src/sync/orders-repo.js";
import { openTestProtection, type TestProtection } from "../support/protection.js";
import { STORES } from "../support/stores.js";

setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;

/** The sandbox's own order-tracking document for one seller, generated lazily and gzipped as a stream. */
function sandboxReport(
  orders: number,
  seed = 7,
): { data: OrderData; records: () => Generator<OrderRecord>; gz: () => Readable } {
  const data = new OrderData({ orders, seed, sellers: 1, endMs: Date.parse("2026-11-28T00:00:00Z") });
  const first = data.sellers[0];
  if (!first) throw new Error("no seller");
  const seller = first;
  function* records() {
    for (let j = 0; j < data.countFor(seller); j++) yield data.orderOf(seller, j);
  }
  function* text() {
    yield `${REPORT_COLUMNS.join("\t")}\n`;
    let chunk = "";
    for (const order of records()) {
      for (const row of reportRows(order)) chunk += `${row}\n`;
      if (chunk.length > 64_000) {
        yield chunk;
        chunk = "";
      }
    }
    if (chunk) yield chunk;
  }
  return { data, records, gz: () => Readable.from(text()).pipe(createGzip()) };
}

const STATUS = {
  PENDING: "PENDING",
  UNSHIPPED: "UNSHIPPED",
  PARTIALLY_SHIPPED: "PARTIALLY_SHIPPED",
  SHIPPED: "SHIPPED",
  CANCELLED: "CANCELLED",
};

describe("order report parser on the sandbox's documents", () => {
  it("reads every order of a generated report exactly as the sandbox made it", async () => {
    const report = sandboxReport(2000);
    const parse = parseOrderReport(report.gz(), { batchSize: 250 });
    const parsed: NormalizedOrder[] = [];
    for await (const batch of parse.batches) parsed.push(...batch.orders);
    const expected = [...report.records()];
    expect(parse.summary).toMatchObject({
      badRows: 0,
      error: null,
      orders: expected.length,
      unknownEnums: 0,
    });
    expect(parsed.map((o) => o.amazonOrderId)).toEqual(expected.map((o) => o.orderId));
    for (const [i, record] of expected.entries()) {
      const o = parsed[i] as NormalizedOrder;
      expect(o.status).toBe(STATUS[record.status]);
      expect(o.fulfillmentChannel).toBe(record.fulfilledBy === "AMAZON" ? "FBA" : "FBM");
      expect(o.marketplace).toBe(record.marketplace.id);
      expect(o.currency).toBe(record.marketplace.currency);
      expect(o.totalMinor).toBe(orderTotal(record));
      expect(o.itemCount).toBe(record.items.length);
      expect(o.unitCount).toBe(record.items.reduce((n, it) => n + it.quantity, 0));
      expect(Date.parse(o.lastUpdatedAt)).toBe(Math.floor(record.lastUpdatedMs / 1000) * 1000);
      expect(o.pii).toBeNull();
    }
  });

  it("streams 50,000 orders with bounded memory", async () => {
    const report = sandboxReport(50_000, 11);
    let approxDocumentBytes = 0;
    const gz = report.gz();
    const parse = parseOrderReport(gz);
    // Live heap after a full collection: garbage left by other work in this worker cannot move it.
    const liveHeap = () => {
      collectGarbage();
      return process.memoryUsage().heapUsed;
    };
    const base = liveHeap();
    let peak = 0;
    let orders = 0;
    let batches = 0;
    for await (const batch of parse.batches) {
      orders += batch.orders.length;
      for (const o of batch.orders) approxDocumentBytes += (o.items?.length ?? 0) * 300;
      batches += 1;
      if (batches % 10 === 0) peak = Math.max(peak, liveHeap() - base);
    }
    expect(orders).toBe(50_000);
    expect(parse.summary.badRows).toBe(0);
    // Holding the ~20 MB document as text, or all 50,000 parsed orders, would break this bound.
    expect(approxDocumentBytes).toBeGreaterThan(15_000_000);
    expect(peak).toBeLessThan(12 * 1024 * 1024);
  }, 120_000);
});

const open: TestProtection[] = [];
afterEach(async () => {
  for (const p of open.splice(0)) await p.dispose();
});

for (const target of STORES) {
  describe.skipIf(target.skip)(`report backfill into ${target.name}`, () => {
    it("stores a sandbox report batch by batch; a second pass over the same report changes nothing", async () => {
      const p = await openTestProtection(target.name);
      open.push(p);
      const db = p.data.database.db;
      const account = await createSellerAccount(db, p.fields, { name: "Brand", region: "na" }, p.clock.now());
      const report = sandboxReport(600, 3);
      const expected = [...report.records()];
      const pass = async () => {
        const totals = { inserted: 0, unchanged: 0, itemsWritten: 0, piiWritten: 0 };
        const parse = parseOrderReport(report.gz(), { batchSize: 100 });
        for await (const batch of parse.batches) {
          const r = await upsertOrders(db, p.fields, account.id, batch.orders, {
            now: p.clock.now(),
            shippingEnabled: true,
          });
          totals.inserted += r.inserted;
          totals.unchanged += r.unchanged;
          totals.itemsWritten += r.itemsWritten;
          totals.piiWritten += r.piiWritten;
        }
        return totals;
      };
      const items = expected.reduce((n, o) => n + o.items.length, 0);
      expect(await pass()).toEqual({
        inserted: expected.length,
        unchanged: 0,
        itemsWritten: items,
        piiWritten: 0,
      });
      expect(await pass()).toEqual({
        inserted: 0,
        unchanged: expected.length,
        itemsWritten: 0,
        piiWritten: 0,
      });
      const byStatus = await countOrdersByStatus(db, account.id);
      const want: Record<string, number> = {};
      for (const o of expected) want[STATUS[o.status]] = (want[STATUS[o.status]] ?? 0) + 1;
      expect(byStatus).toEqual(want);
      expect(await db.selectFrom("order_buyer_pii").selectAll().execute()).toEqual([]);
    });
  });
}
