import { gunzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { DAY, isoSeconds, MINUTE, SECOND } from "./clock.js";
import { REPORT_COLUMNS } from "./order-views.js";
import { BASE_PROCESSING_MS, QUEUE_MS } from "./reports-routes.js";
import { type SandboxHarness, startHarness } from "./test-harness.js";

const CANARY = "CANARY-7f3a";
let h: SandboxHarness;

afterEach(async () => {
  await h.close();
});

async function createReport(token: string, reportType: string, days: number) {
  const s = h.running.sandbox;
  const end = s.context.data.endMs;
  const res = await h.call("POST", "/reports/2021-06-30/reports", token, {
    reportType,
    marketplaceIds: s.sellers[0]?.marketplaceIds,
    dataStartTime: isoSeconds(end - days * DAY),
    dataEndTime: isoSeconds(end),
  });
  expect(res.status).toBe(202);
  return res.json().reportId as string;
}

describe("order-tracking reports", () => {
  it("moves IN_QUEUE -> IN_PROGRESS -> DONE over Amazon time and serves a gzipped flat file", async () => {
    h = await startHarness({ orders: 3_000, piiCanary: CANARY });
    const token = await h.token();
    const reportId = await createReport(token, "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL", 90);
    const status = async () => (await h.call("GET", `/reports/2021-06-30/reports/${reportId}`, token)).json();
    expect(await status()).toMatchObject({ reportId, processingStatus: "IN_QUEUE" });
    h.clock.advance(QUEUE_MS);
    expect(await status()).toMatchObject({ processingStatus: "IN_PROGRESS" });
    h.clock.advance(BASE_PROCESSING_MS + 10 * SECOND);
    const done = await status();
    expect(done).toMatchObject({ processingStatus: "DONE", reportDocumentId: expect.any(String) });

    const doc = await h.call("GET", `/reports/2021-06-30/documents/${done.reportDocumentId}`, token);
    expect(doc.status).toBe(200);
    const { url, compressionAlgorithm } = doc.json() as { url: string; compressionAlgorithm: string };
    expect(compressionAlgorithm).toBe("GZIP");
    expect(url.startsWith(h.endpoint)).toBe(true);
    const file = await fetch(url);
    expect(file.status).toBe(200);
    const text = gunzipSync(Buffer.from(await file.arrayBuffer())).toString("utf8");
    const lines = text.replace(/\n$/, "").split("\n");
    expect(lines[0]?.split("\t")).toEqual([...REPORT_COLUMNS]);

    const data = h.running.sandbox.context.data;
    const seller = data.sellers[0];
    if (!seller) throw new Error("no seller");
    const from = data.endMs - 90 * DAY;
    const expectedRows = Array.from({ length: data.countFor(seller) }, (_, j) => data.orderOf(seller, j))
      .filter((o) => o.createdMs >= from)
      .reduce((n, o) => n + o.items.length, 0);
    expect(lines.length - 1).toBe(expectedRows);
    expect(lines.every((line) => line.split("\t").length === REPORT_COLUMNS.length)).toBe(true);
    // Reports carry no buyer name and no street address.
    expect(text).not.toContain(CANARY);
  });

  it("expires document URLs after five minutes and rejects tampered ones", async () => {
    h = await startHarness({ orders: 500 });
    const token = await h.token();
    const reportId = await createReport(token, "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL", 30);
    h.clock.advance(QUEUE_MS + BASE_PROCESSING_MS + 5 * SECOND);
    const { reportDocumentId } = (
      await h.call("GET", `/reports/2021-06-30/reports/${reportId}`, token)
    ).json();
    const { url } = (
      await h.call("GET", `/reports/2021-06-30/documents/${reportDocumentId}`, token)
    ).json() as {
      url: string;
    };
    const tampered = new URL(url);
    tampered.searchParams.set(
      "X-Amz-Expires",
      String(Number(tampered.searchParams.get("X-Amz-Expires")) + 60_000),
    );
    const forged = await fetch(tampered);
    expect(forged.status).toBe(403);
    expect(await forged.text()).toContain("<Code>SignatureDoesNotMatch</Code>");
    h.clock.advance(5 * MINUTE - SECOND);
    const valid = await fetch(url);
    expect(valid.status).toBe(200);
    expect(gunzipSync(Buffer.from(await valid.arrayBuffer())).toString("utf8")).toMatch(/^amazon-order-id\t/);
    h.clock.advance(SECOND);
    const expired = await fetch(url);
    expect(expired.status).toBe(403);
    expect(await expired.text()).toContain("<Code>AccessDenied</Code>");
  });

  it("keeps reports per seller, refuses unknown types and documents that are not ready", async () => {
    h = await startHarness({ orders: 500 });
    const token = await h.token(0);
    const other = await h.token(1);
    const reportId = await createReport(token, "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL", 10);
    expect((await h.call("GET", `/reports/2021-06-30/reports/${reportId}`, other)).status).toBe(404);
    const bad = await h.call("POST", "/reports/2021-06-30/reports", token, {
      reportType: "GET_MERCHANT_LISTINGS_ALL_DATA",
      marketplaceIds: h.running.sandbox.sellers[0]?.marketplaceIds,
    });
    expect(bad.status).toBe(400);
    const status = (await h.call("GET", `/reports/2021-06-30/reports/${reportId}`, token)).json();
    expect(status).not.toHaveProperty("reportDocumentId");
    const malformed = await fetch(`${h.endpoint}/reports/2021-06-30/reports`, {
      method: "POST",
      headers: { "x-amz-access-token": token, "content-type": "application/json" },
      body: "{not json",
    });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toEqual({ errors: [expect.objectContaining({ code: "InvalidInput" })] });
  });
});
