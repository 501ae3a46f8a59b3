import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { renderComplianceHtml, renderComplianceText } from "./compliance-html.js";
import { type ComplianceReport, type Control, summarize } from "./compliance-types.js";

function report(controls: Control[]): ComplianceReport {
  return {
    kind: "seller-pilot-compliance-report",
    version: 1,
    generatedAt: "2026-11-28T00:00:00.000Z",
    asOf: "2026-11-28T00:00:00.000Z",
    instance: { env: "development", store: "sqlite", mode: "demo", appVersion: "0.1.0" },
    summary: summarize(controls),
    controls,
  };
}

function control(evidence: Control["evidence"], status: Control["status"] = "ok"): Control {
  return {
    id: "t.c",
    area: "audit",
    title: "T",
    requirement: "R",
    status,
    finding: "F",
    evidence,
  };
}

describe("renderComplianceHtml", () => {
  it("escapes every evidence key and value, in records, lists and tables", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), fc.string({ maxLength: 40 }), (a, b) => {
        const tag = `<x-${a}>`;
        const html = renderComplianceHtml(
          report([
            control({
              [tag]: tag,
              list: [tag, 1, true, null],
              rows: [{ name: tag, [`<x-${b}>`]: `"${b}'` }],
              nested: { deeper: { value: `</td><x-${b}>` } },
            }),
          ]),
        );
        expect(html).not.toContain("<x-");
        expect(html).not.toMatch(/<script|\son\w+=/i);
      }),
      { numRuns: 200 },
    );
  });

  it("is one self-contained document: no script, no external resource", () => {
    const html = renderComplianceHtml(report([control({ a: 1 }, "failed"), control({}, "warning")]));
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(/i);
    expect(html).toContain("0 ok, 1 warning, 1 failed of 2");
  });
});

describe("renderComplianceText", () => {
  it("totals the statuses and points at the failed ones", () => {
    const text = renderComplianceText(report([control({}, "ok"), control({}, "failed")]));
    expect(text).toContain("1 ok, 0 warning, 1 failed.");
    expect(text).toMatch(/^FAILED\s+t\.c\s+F$/m);
  });
});
