import {
  type DataTypePolicy,
  MAX_ACCOUNT_GRACE_DAYS,
  RETENTION_POLICY,
  RETENTION_POLICY_VERSION,
} from "./retention-policy.js";

const ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

const DELETION: Record<DataTypePolicy["deletion"], string> = {
  purge: "Deleted row by row, in small batches; freed space is overwritten",
  crypto_shred: "Crypto-shredding: the account's data keys are destroyed, then its rows",
  segment_delete: "Whole signed segments deleted; a signed anchor keeps the rest verifiable",
  not_stored: "Not stored by Seller Pilot",
};

function row(p: DataTypePolicy, graceDays: number): string {
  const period =
    p.type === "account_and_contact_data"
      ? `${graceDays} days (at most ${MAX_ACCOUNT_GRACE_DAYS})`
      : p.periodDays === null
        ? "-"
        : `${p.periodDays} days`;
  const cells = [
    p.label,
    p.covers,
    p.rule,
    period,
    p.legalBasis,
    DELETION[p.deletion],
    p.legalHoldApplies ? "yes" : "no",
  ];
  return `<tr id="${p.type}" data-type="${p.type}">${cells.map((c) => `<td>${escapeHtml(c)}</td>`).join("")}</tr>`;
}

/**
 * The public Data & Security page, rendered on the server from the live retention table (so the promise is
 * the behaviour). Plain HTML: no script, no inline style, nothing the Content-Security-Policy would block.
 */
export function renderSecurityPage(options: { securityContact: string; accountGraceDays: number }): string {
  const contact = escapeHtml(options.securityContact);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Data &amp; Security - Seller Pilot</title>
</head>
<body>
<main>
<h1>Data &amp; Security</h1>
<section>
<h2>Protection</h2>
<ul>
<li>TLS 1.2 or newer for every connection; plain HTTP only redirects.</li>
<li>AES-256 at rest: the database and backups are encrypted; buyer data and credentials are additionally sealed under per-seller-account keys.</li>
<li>Every user signs in with a second factor; roles per seller account; buyer data needs its own permission and a stated purpose.</li>
<li>A tamper-evident, hash-chained audit log records every access to Amazon data and every security event.</li>
</ul>
</section>
<section>
<h2>Retention</h2>
<p>Policy version <code>${escapeHtml(RETENTION_POLICY_VERSION)}</code>. This table is the one the deletion jobs run on. A legal hold (with a reason, an owner and an expiry) can keep records past their period.</p>
<table>
<thead><tr><th scope="col">Data</th><th scope="col">Covers</th><th scope="col">Rule</th><th scope="col">Default period</th><th scope="col">Legal basis</th><th scope="col">How it is deleted</th><th scope="col">Legal hold applies</th></tr></thead>
<tbody>
${RETENTION_POLICY.map((p) => row(p, options.accountGraceDays)).join("\n")}
</tbody>
</table>
<p>Owners can ask for all data of a seller account to be deleted; the request is tracked with a deadline and completed with a deletion receipt.</p>
</section>
<section>
<h2>Incidents and reporting a security issue</h2>
<p>Incidents are tracked through detection, containment, eradication, recovery and review, with notification within 24 hours. Report a security issue to <a href="${contact}">${contact}</a> (see also <a href="/.well-known/security.txt">security.txt</a>).</p>
</section>
</main>
</body>
</html>
`;
}
