import { escapeHtml } from "../retention/security-page.js";
import type { ComplianceReport, Control, Evidence } from "./compliance-types.js";

const STATUS_LABEL: Record<Control["status"], string> = { ok: "OK", warning: "WARNING", failed: "FAILED" };

/** Print-friendly and self-contained: one inline style sheet, no script, no external resource. */
const STYLE = `
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem;color:#111;line-height:1.4}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #999}
table{border-collapse:collapse;margin:.4rem 0}th,td{border:1px solid #bbb;padding:.2rem .45rem;text-align:left;vertical-align:top;font-size:.9rem}
th{background:#f0f0f0}.status{font-weight:bold;padding:.1rem .4rem;border:1px solid currentColor}
.ok{color:#0a6b2b}.warning{color:#8a5a00}.failed{color:#a00}
dl{margin:0}dt{font-weight:600}dd{margin:0 0 .3rem 1.2rem}code{font-size:.85rem}
section{break-inside:avoid-page}@media print{body{margin:1cm}h2{break-after:avoid}}
`;

function isRecord(v: Evidence): v is { [key: string]: Evidence } {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function scalar(v: Evidence): string {
  if (v === null) return "<em>none</em>";
  if (typeof v === "boolean") return v ? "yes" : "no";
  return escapeHtml(String(v));
}

/** A list of records with the same keys reads best as a table; anything else nests. */
function renderValue(v: Evidence): string {
  if (Array.isArray(v)) {
    if (v.length === 0) return "<em>none</em>";
    if (v.every(isRecord)) {
      const rows = v as Array<{ [key: string]: Evidence }>;
      const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))];
      const head = keys.map((k) => `<th scope="col">${escapeHtml(k)}</th>`).join("");
      const body = rows
        .map((r) => `<tr>${keys.map((k) => `<td>${renderValue(r[k] ?? null)}</td>`).join("")}</tr>`)
        .join("\n");
      return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
    }
    return v.map((item) => renderValue(item)).join(", ");
  }
  if (isRecord(v)) {
    const entries = Object.entries(v);
    if (entries.length === 0) return "<em>none</em>";
    return `<dl>${entries.map(([k, x]) => `<dt>${escapeHtml(k)}</dt><dd>${renderValue(x)}</dd>`).join("")}</dl>`;
  }
  return scalar(v);
}

function renderControl(c: Control): string {
  return `<section id="${escapeHtml(c.id)}">
<h2>${escapeHtml(c.title)} <span class="status ${c.status}">${STATUS_LABEL[c.status]}</span></h2>
<p><strong>Control:</strong> <code>${escapeHtml(c.id)}</code></p>
<p><strong>Requirement:</strong> ${escapeHtml(c.requirement)}</p>
<p><strong>Finding:</strong> ${escapeHtml(c.finding)}</p>
<h3>Evidence</h3>
${renderValue(c.evidence)}
</section>`;
}

export function renderComplianceHtml(report: ComplianceReport): string {
  const { summary, instance } = report;
  const rows = report.controls
    .map(
      (c) =>
        `<tr><td><a href="#${escapeHtml(c.id)}"><code>${escapeHtml(c.id)}</code></a></td><td>${escapeHtml(c.title)}</td><td class="${c.status}">${STATUS_LABEL[c.status]}</td></tr>`,
    )
    .join("\n");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Compliance report - Seller Pilot</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>Seller Pilot compliance report</h1>
<p>Retention and security controls as configured, read from this instance's configuration and stores.</p>
<table>
<tbody>
<tr><th scope="row">Generated</th><td>${escapeHtml(report.generatedAt)}</td></tr>
<tr><th scope="row">As of</th><td>${escapeHtml(report.asOf)}</td></tr>
<tr><th scope="row">Version</th><td>${escapeHtml(instance.appVersion)} (${escapeHtml(instance.env)}, ${escapeHtml(instance.store)} store, ${escapeHtml(instance.mode)} mode)</td></tr>
<tr><th scope="row">Summary</th><td>${summary.ok} ok, ${summary.warning} warning, ${summary.failed} failed of ${summary.total}</td></tr>
</tbody>
</table>
<table>
<thead><tr><th scope="col">Control</th><th scope="col">Title</th><th scope="col">Status</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
${report.controls.map(renderControl).join("\n")}
</main>
</body>
</html>
`;
}

/** The plain-text form for the terminal. */
export function renderComplianceText(report: ComplianceReport): string {
  const lines = [
    `Compliance report as of ${report.asOf} (${report.instance.store} store, ${report.instance.mode} mode)`,
  ];
  const width = Math.max(...report.controls.map((c) => c.id.length));
  for (const c of report.controls)
    lines.push(`${STATUS_LABEL[c.status].padEnd(7)} ${c.id.padEnd(width)}  ${c.finding}`);
  const { summary } = report;
  lines.push("", `${summary.ok} ok, ${summary.warning} warning, ${summary.failed} failed.`);
  if (summary.failed > 0)
    lines.push("Failed controls: see the FAILED lines above (--json or --html for the evidence).");
  return `${lines.join("\n")}\n`;
}
