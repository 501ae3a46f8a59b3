import { afterEach, describe, expect, it } from "vitest";
import { createReport, getReportDocument } from "../../src/amazon/operations/reports.js";
import { openReportDocument, reportLines, waitForReport } from "../../src/amazon/reports.js";
import { MS } from "../../src/platform/clock.js";
import { openSpApiRig, type SpApiRig } from "../support/spapi.js";
import { STORES } from "../support/stores.js";

const CANARY = "CANARY-r3p0rt";

for (const target of STORES) {
  describe.skipIf(target.skip)(`report backfill through the client on ${target.name}`, () => {
    let rig: SpApiRig;
    afterEach(async () => {
      await rig.dispose();
    });

    async function finishedReport() {
      const a0 = rig.accounts[0] as string;
      const reportId = await createReport(rig.client, a0, {
        reportType: "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL",
        marketplaceIds: rig.h.running.sandbox.sellers[0]?.marketplaceIds ?? [],
        dataStartTime: new Date(rig.clock.now().getTime() - 400 * MS.day).toISOString(),
      });
      const report = await waitForReport(rig.client, a0, reportId, {
        sleep: async (ms) => rig.advance(ms),
        clock: rig.clock,
        intervalMs: 20 * MS.second,
      });
      return { a0, report };
    }

    it("creates a report, polls it to DONE and streams the gunzipped document line by line", async () => {
      rig = await openSpApiRig(target.name, { sandbox: { orders: 3_000, piiCanary: CANARY } });
      const { a0, report } = await finishedReport();
      expect(report.processingStatus).toBe("DONE");
      // IN_QUEUE 30 s + IN_PROGRESS >= 60 s, polled every 20 s: several polls, each one audited.
      expect(rig.requests("/reports/2021-06-30/reports/")).toBeGreaterThanOrEqual(5);
      const stream = await openReportDocument(
        { client: rig.client, transport: rig.transport, clock: rig.clock },
        a0,
        report.reportDocumentId,
      );
      let header: string[] | undefined;
      let rows = 0;
      for await (const line of reportLines(stream)) {
        if (!header) header = line.split("\t");
        else {
          rows++;
          expect(line.split("\t")).toHaveLength(header.length);
          expect(line).not.toContain(CANARY);
        }
      }
      expect(header?.[0]).toBe("amazon-order-id");
      expect(rows).toBeGreaterThan(100);
      const ops = rig.events.map((e) => e.target?.operation);
      expect(ops).toContain("createReport");
      expect(ops).toContain("getReportDocument");
    });

    it("asks for a new document URL when the old one is past its five minutes", async () => {
      rig = await openSpApiRig(target.name);
      const { a0, report } = await finishedReport();
      const deps = { client: rig.client, transport: rig.transport, clock: rig.clock };
      const document = await getReportDocument(rig.client, a0, report.reportDocumentId);
      const documents = () => rig.requests("/reports/2021-06-30/documents/");
      expect(documents()).toBe(1);

      // Known fresh URL: used as is.
      const fresh = await openReportDocument(deps, a0, report.reportDocumentId, undefined, {
        document,
        fetchedAtMs: rig.clock.now().getTime(),
      });
      fresh.resume();
      expect(documents()).toBe(1);

      // Six minutes later our own bookkeeping says it expired: a new URL first.
      rig.advance(6 * MS.minute);
      const fetchedAtMs = rig.clock.now().getTime() - 6 * MS.minute;
      const renewed = await openReportDocument(deps, a0, report.reportDocumentId, undefined, {
        document,
        fetchedAtMs,
      });
      renewed.resume();
      expect(documents()).toBe(2);

      // Amazon refuses an expired URL we thought fresh: asked again once, then it works.
      const refused = await openReportDocument(deps, a0, report.reportDocumentId, undefined, {
        document,
        fetchedAtMs: rig.clock.now().getTime(),
      });
      let count = 0;
      for await (const _ of reportLines(refused)) count++;
      expect(count).toBeGreaterThan(1);
      expect(documents()).toBe(3);
    });
  });
}
