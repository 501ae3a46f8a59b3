import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { NormalizedOrder } from "./order-model.js";
import { normalizedOrderSchema } from "./order-model.js";
import { type BadRow, parseOrderReport, parseReportDate, type ReportSummary } from "./order-report-parser.js";

const COLUMNS = [
  "amazon-order-id",
  "merchant-order-id",
  "purchase-date",
  "last-updated-date",
  "order-status",
  "fulfillment-channel",
  "sales-channel",
  "ship-service-level",
  "product-name",
  "sku",
  "asin",
  "quantity",
  "currency",
  "item-price",
  "item-tax",
  "shipping-price",
  "item-promotion-discount",
  "ship-country",
  "is-business-order",
];

type Line = Partial<Record<(typeof COLUMNS)[number], string>>;
function line(values: Line = {}, columns = COLUMNS): string {
  const base: Line = {
    "amazon-order-id": "111-0000001-0000001",
    "merchant-order-id": "111-0000001-0000001",
    "purchase-date": "2026-11-01T10:00:00+00:00",
    "last-updated-date": "2026-11-01T10:05:00+00:00",
    "order-status": "Unshipped",
    "fulfillment-channel": "Merchant",
    "sales-channel": "Amazon.com",
    "ship-service-level": "Standard",
    "product-name": "Blue mug",
    sku: "SKU-1",
    asin: "B000000001",
    quantity: "1",
    currency: "USD",
    "item-price": "12.99",
    "item-tax": "1.07",
    "shipping-price": "4.99",
    "item-promotion-discount": "",
    "ship-country": "US",
    "is-business-order": "false",
    ...values,
  };
  return columns.map((c) => base[c as keyof Line] ?? "").join("\t");
}

function document(lines: string[], columns = COLUMNS): Buffer {
  return gzipSync(Buffer.from(`${[columns.join("\t"), ...lines].join("\n")}\n`, "utf8"));
}

async function parseAll(input: Buffer | Readable, options = {}) {
  const parse = parseOrderReport(Buffer.isBuffer(input) ? Readable.from([input]) : input, options);
  const orders: NormalizedOrder[] = [];
  const badRows: BadRow[] = [];
  const sizes: number[] = [];
  let error: unknown = null;
  try {
    for await (const batch of parse.batches) {
      orders.push(...batch.orders);
      badRows.push(...batch.badRows);
      sizes.push(batch.orders.length);
    }
  } catch (err) {
    error = err;
  }
  return { orders, badRows, sizes, error, summary: parse.summary as ReportSummary };
}

describe("order report parser", () => {
  it("merges the item lines of an order and maps report values onto the model", async () => {
    const { orders, badRows, summary, error } = await parseAll(
      document([
        line(),
        line({
          sku: "SKU-2",
          quantity: "2",
          "item-price": "10.00",
          "item-tax": "0.00",
          "shipping-price": "",
          "item-promotion-discount": "-1.00",
          "last-updated-date": "2026-11-01T10:06:00-00:00",
        }),
        line({
          "amazon-order-id": "111-0000001-0000002",
          "fulfillment-channel": "Amazon",
          "order-status": "Shipped",
          "is-business-order": "true",
          "shipping-price": "0.00",
        }),
      ]),
    );
    expect(error).toBeNull();
    expect(badRows).toEqual([]);
    expect(summary).toMatchObject({ rows: 3, orders: 2, badRows: 0, error: null });
    const [first, second] = orders;
    expect(first).toMatchObject({
      amazonOrderId: "111-0000001-0000001",
      source: "report",
      marketplace: "ATVPDKIKX0DER",
      status: "UNSHIPPED",
      fulfillmentChannel: "FBM",
      purchaseDate: "2026-11-01T10:00:00.000Z",
      lastUpdatedAt: "2026-11-01T10:06:00.000Z",
      currency: "USD",
      // 12.99 + 1.07 + 4.99 + 10.00 - 1.00
      totalMinor: 2805,
      itemCount: 2,
      unitCount: 3,
      shipCountry: "US",
      isBusiness: false,
      unknownEnum: false,
      pii: null,
    });
    expect(
      first?.items?.map((i) => [i.itemKey, i.quantity, i.itemPriceMinor, i.promotionDiscountMinor]),
    ).toEqual([
      ["r:SKU-1", 1, 1299, null],
      ["r:SKU-2", 2, 1000, -100],
    ]);
    expect(second).toMatchObject({
      status: "SHIPPED",
      fulfillmentChannel: "FBA",
      isBusiness: true,
      totalMinor: 1406,
    });
    for (const o of orders) expect(normalizedOrderSchema.safeParse(o).success).toBe(true);
  });

  it("maps columns by header: any order, unknown extra columns ignored", async () => {
    const shuffled = [...COLUMNS].reverse();
    const withExtra = [...shuffled.slice(0, 3), "new-amazon-column", ...shuffled.slice(3)];
    const rows = [line({ ["new-amazon-column" as never]: "whatever" }, withExtra)];
    const a = await parseAll(document(rows, withExtra));
    const b = await parseAll(document([line()]));
    expect(a.badRows).toEqual([]);
    expect(a.orders).toEqual(b.orders);
  });

  it("counts every unreadable row with its row number and reason, and keeps the rest", async () => {
    const rows = [
      line(), // row 2
      line({ "amazon-order-id": "A-2" }).split("\t").slice(0, 5).join("\t"), // 3: COLUMN_COUNT
      line({ "amazon-order-id": "" }), // 4: MISSING_FIELD
      line({ "amazon-order-id": "A-5", "purchase-date": "2024-02-30T10:00:00+00:00" }), // 5: BAD_DATE
      line({ "amazon-order-id": "A-6", "item-price": "1e3" }), // 6: BAD_MONEY
      line({ "amazon-order-id": "A-7", currency: "dollars" }), // 7: BAD_CURRENCY
      line({ "amazon-order-id": "A-8", quantity: "two" }), // 8: BAD_QUANTITY
      line({ "amazon-order-id": "A-9", "item-price": "12.999" }), // 9: BAD_MONEY (too precise)
      line({ "amazon-order-id": "111-0000001-0000001", sku: "SKU-EUR", currency: "EUR" }), // 10: CURRENCY_MISMATCH
      line({ "amazon-order-id": "A-11", "last-updated-date": "yesterday" }), // 11: BAD_DATE
      "", // 12: blank, skipped
      line({ "amazon-order-id": "A-13", sku: "", asin: "" }), // 13: MISSING_FIELD
      line({ "amazon-order-id": "A-14", "product-name": "x".repeat(3000) }), // 14: LINE_TOO_LONG
      line({ "amazon-order-id": "A-15" }), // 15: fine
    ];
    const text = Buffer.from(`${[COLUMNS.join("\t"), ...rows].join("\n")}\n`, "utf8");
    // Row 16: invalid UTF-8 (a lone continuation byte) in an otherwise fine row.
    const broken = Buffer.concat([
      text,
      Buffer.from(line({ "amazon-order-id": "A-16", "product-name": "Mug" })),
      Buffer.from([0x80, 0x0a]),
    ]);
    const result = await parseAll(gzipSync(broken), { maxLineBytes: 2000 });
    expect(result.error).toBeNull();
    expect(result.badRows).toEqual([
      { row: 3, reason: "COLUMN_COUNT" },
      { row: 4, reason: "MISSING_FIELD", column: "amazon-order-id" },
      { row: 5, reason: "BAD_DATE", column: "purchase-date" },
      { row: 6, reason: "BAD_MONEY", column: "item-price" },
      { row: 7, reason: "BAD_CURRENCY", column: "currency" },
      { row: 8, reason: "BAD_QUANTITY", column: "quantity" },
      { row: 9, reason: "BAD_MONEY", column: "item-price" },
      { row: 10, reason: "CURRENCY_MISMATCH", column: "currency" },
      { row: 11, reason: "BAD_DATE", column: "last-updated-date" },
      { row: 13, reason: "MISSING_FIELD", column: "sku" },
      { row: 14, reason: "LINE_TOO_LONG" },
      { row: 16, reason: "BAD_ENCODING" },
    ]);
    expect(result.orders.map((o) => o.amazonOrderId)).toEqual(["111-0000001-0000001", "A-15"]);
    expect(result.summary).toMatchObject({
      rows: 14,
      orders: 2,
      badRows: 12,
      byReason: { BAD_MONEY: 2, BAD_DATE: 2 },
    });
    // Bad rows never carry row content.
    expect(JSON.stringify(result.summary)).not.toContain("Blue mug");
  });

  it("stores unknown statuses and channels as sent, flagged and counted", async () => {
    const { orders, summary } = await parseAll(
      document([
        line({ "order-status": "Teleported", "fulfillment-channel": "Drone" }),
        line({ "amazon-order-id": "A-2", "order-status": "S".repeat(100) }),
      ]),
    );
    expect(orders[0]).toMatchObject({ status: "Teleported", fulfillmentChannel: "Drone", unknownEnum: true });
    // Longer than the column: kept, cut to its bound.
    expect(orders[1]?.status).toBe("S".repeat(40));
    expect(summary).toMatchObject({ unknownEnums: 2, badRows: 0 });
  });

  it("yields batches of whole orders", async () => {
    const rows = ["1", "1", "2", "3", "3", "3", "4", "5"].map((n, i) =>
      line({ "amazon-order-id": `111-0000000-000000${n}`, sku: `SKU-${i}` }),
    );
    const { sizes, orders } = await parseAll(document(rows), { batchSize: 2 });
    expect(sizes).toEqual([2, 2, 1]);
    expect(orders.map((o) => o.itemCount)).toEqual([2, 1, 3, 1, 1]);
  });

  it("reports a truncated document with REPORT_TRUNCATED after yielding every complete order before the cut", async () => {
    const rows = Array.from({ length: 3000 }, (_, i) =>
      line({ "amazon-order-id": `111-${String(i).padStart(7, "0")}-0000001` }),
    );
    const gz = document(rows);
    const cut = gz.subarray(0, Math.floor(gz.length * 0.6));
    const result = await parseAll(Readable.from([cut]), { batchSize: 100 });
    expect(result.error).toMatchObject({ code: "REPORT_TRUNCATED" });
    expect(result.summary.error).toBe("REPORT_TRUNCATED");
    expect(result.orders.length).toBeGreaterThan(1000);
    expect(result.orders.length).toBeLessThan(3000);
    // Every yielded order is whole and in document order; the possibly cut last one is left out.
    expect(result.orders.map((o) => o.amazonOrderId)).toEqual(
      rows.slice(0, result.orders.length).map((r) => r.split("\t")[0]),
    );
    expect(result.summary.rows).toBeGreaterThanOrEqual(result.orders.length);
  });

  it("refuses what is not a report: not gzip, no header, missing required columns", async () => {
    const notGzip = await parseAll(Readable.from([Buffer.from("amazon-order-id\tpurchase-date\n")]));
    expect(notGzip.error).toMatchObject({ code: "REPORT_MALFORMED" });
    const empty = await parseAll(gzipSync(Buffer.alloc(0)));
    expect(empty.error).toMatchObject({ code: "REPORT_MALFORMED" });
    const partial = await parseAll(
      document(
        [line()],
        COLUMNS.filter((c) => c !== "last-updated-date"),
      ),
    );
    expect(partial.error).toMatchObject({
      code: "REPORT_MALFORMED",
      details: { missingColumns: ["last-updated-date"] },
    });
    const plain = await parseAll(Readable.from([Buffer.from(`${COLUMNS.join("\t")}\r\n${line()}\r\n`)]), {
      gzip: false,
    });
    expect(plain.orders).toHaveLength(1);
  });

  it("parses strict ISO dates with offsets only", () => {
    expect(parseReportDate("2026-11-01T10:00:00+02:00")).toBe("2026-11-01T08:00:00.000Z");
    expect(parseReportDate("2026-11-01T10:00:00.5Z")).toBe("2026-11-01T10:00:00.500Z");
    for (const bad of [
      "2026-11-01",
      "2026-11-01 10:00:00",
      "2026-13-01T00:00:00Z",
      "2026-02-29T00:00:00Z",
      "2026-11-01T24:00:00Z",
      "2026-11-01T10:00:00",
    ]) {
      expect(parseReportDate(bad), bad).toBeNull();
    }
  });

  it("never throws on arbitrary rows, and accounts for every row", async () => {
    const cell = fc.oneof(
      fc.string(),
      fc.constantFrom("", "1", "12.34", "USD", "Shipped", "Merchant", "2026-11-01T10:00:00Z"),
    );
    const row = fc.oneof(
      fc
        .array(cell, { minLength: COLUMNS.length, maxLength: COLUMNS.length })
        .map((cells) => Buffer.from(cells.join("\t").replace(/\n/g, " "))),
      fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes.filter((b) => b !== 0x0a))),
      fc.string().map((s) => Buffer.from(s.replace(/\n/g, ""))),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(row, { maxLength: 30 }), async (rows) => {
        const body = Buffer.concat([
          Buffer.from(`${COLUMNS.join("\t")}\n`),
          ...rows.flatMap((r) => [r, Buffer.from("\n")]),
        ]);
        const result = await parseAll(gzipSync(body), { batchSize: 3 });
        expect(result.error).toBeNull();
        const itemLines = result.orders.reduce((n, o) => n + (o.items?.length ?? 0), 0);
        expect(itemLines + result.summary.badRows).toBe(result.summary.rows);
        for (const o of result.orders) expect(normalizedOrderSchema.safeParse(o).success).toBe(true);
      }),
      { numRuns: 150 },
    );
  });
});
