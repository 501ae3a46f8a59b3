import { MS } from "../platform/clock.js";
import { PII_RETENTION_MS } from "../sync/orders-repo.js";

/**
 * The retention policy as code: one table, read by the purge (retention-service.ts), `retention status`,
 * GET /api/retention/policy and the public /security page, so what we promise and what we do cannot
 * drift. Changing a period or a rule means bumping RETENTION_POLICY_VERSION: every deletion receipt names
 * the version it was made under.
 */
export const RETENTION_POLICY_VERSION = "2026-11-28.1";

export const DATA_TYPES = [
  "buyer_pii",
  "order_data",
  "inventory_data",
  "pricing_data",
  "financial_data",
  "account_and_contact_data",
  "application_logs",
  "audit_records",
] as const;

export type DataType = (typeof DATA_TYPES)[number];

/** How a type's records leave: deleted rows, crypto-shredding of the account, or whole audit segments. */
export type DeletionMethod = "purge" | "crypto_shred" | "segment_delete" | "not_stored";

export interface DataTypePolicy {
  type: DataType;
  label: string;
  /** What the type covers, in words a seller understands. */
  covers: string;
  /** Where it lives (empty for data Seller Pilot does not store). */
  tables: readonly string[];
  /** The rule as promised on /security. */
  rule: string;
  /** The default period in days (from the event the rule names); null when only an event ends it. */
  periodDays: number | null;
  /** Why we keep it that long (or no longer). */
  legalBasis: string;
  deletion: DeletionMethod;
  /** Whether a legal hold on the account (or the order) keeps the records past their period. */
  legalHoldApplies: boolean;
}

const DAYS_30 = PII_RETENTION_MS / MS.day;
/** Buyer data of an order that never reports delivery (nor an estimated delivery date, nor cancellation). */
export const UNDELIVERED_PII_DAYS = 60;
/** DPP: non-PII Amazon data at most 18 months after it stops being needed; 540 days stays inside that. */
export const NON_PII_DAYS = 540;
/** Revoked authorization or closure: deleted within 90 days; an operator may choose a shorter grace. */
export const MAX_ACCOUNT_GRACE_DAYS = 90;
/** Deletion on request is carried out at the next run, and promised within this many days. */
export const REQUEST_DEADLINE_DAYS = 30;
/** Audit records: at least 12 months (audit-retention.ts refuses less); whole segments go after 400 days. */
export const AUDIT_DAYS = 400;
/** Application logs go to stdout; the operator's collector keeps them this long (documented, not enforced). */
export const APPLICATION_LOG_DAYS = 90;

const DPP = "Amazon Data Protection Policy";

export const RETENTION_POLICY: readonly DataTypePolicy[] = [
  {
    type: "buyer_pii",
    label: "Buyer personal data",
    covers: "Buyer name, shipping name, address and phone of merchant-fulfilled (FBM) orders",
    tables: ["order_buyer_pii"],
    rule:
      `Deleted ${DAYS_30} days after delivery. Without a delivery report: ${DAYS_30} days after the latest ` +
      `promised delivery date, or after cancellation; with neither, ${UNDELIVERED_PII_DAYS} days after the ` +
      "latest ship date (the purchase date when Amazon gives none).",
    periodDays: DAYS_30,
    legalBasis: `${DPP}: PII is kept only to fulfil the order and deleted within 30 days of delivery; GDPR Art. 5(1)(e) storage limitation`,
    deletion: "purge",
    legalHoldApplies: true,
  },
  {
    type: "order_data",
    label: "Order data",
    covers: "Orders and order items without buyer data (status, dates, amounts, SKUs)",
    tables: ["orders", "order_items"],
    rule: `Deleted ${NON_PII_DAYS} days after the order's last update from Amazon.`,
    periodDays: NON_PII_DAYS,
    legalBasis: `${DPP}: non-PII Amazon Information kept at most 18 months after it stops being needed`,
    deletion: "purge",
    legalHoldApplies: true,
  },
  {
    type: "inventory_data",
    label: "Inventory data",
    covers: "FBA inventory summaries per SKU and marketplace",
    tables: ["inventory_summaries"],
    rule: `Deleted ${NON_PII_DAYS} days after the last sync that reported the SKU.`,
    periodDays: NON_PII_DAYS,
    legalBasis: `${DPP}: non-PII Amazon Information kept at most 18 months after it stops being needed`,
    deletion: "purge",
    legalHoldApplies: true,
  },
  {
    type: "pricing_data",
    label: "Pricing data",
    covers: "Own, Buy Box and lowest offer prices per ASIN",
    tables: ["prices"],
    rule: `Deleted ${NON_PII_DAYS} days after the last sync that reported the ASIN.`,
    periodDays: NON_PII_DAYS,
    legalBasis: `${DPP}: non-PII Amazon Information kept at most 18 months after it stops being needed`,
    deletion: "purge",
    legalHoldApplies: true,
  },
  {
    type: "financial_data",
    label: "Financial data",
    covers: "Settlement and fee events (amounts, fee types, order ids)",
    tables: ["financial_events"],
    rule: `Deleted ${NON_PII_DAYS} days after the event was posted.`,
    periodDays: NON_PII_DAYS,
    legalBasis: `${DPP}: non-PII Amazon Information kept at most 18 months after it stops being needed`,
    deletion: "purge",
    legalHoldApplies: true,
  },
  {
    type: "account_and_contact_data",
    label: "Seller account and contact data",
    covers:
      "The connected seller account, its contact e-mail, credentials, data keys and all its synced data",
    tables: ["seller_accounts"],
    rule:
      `Deleted by crypto-shredding within ${MAX_ACCOUNT_GRACE_DAYS} days of closure or revoked authorization ` +
      "(re-authorizing inside the grace period cancels it), or at the next run after an owner's deletion " +
      `request (at the latest ${REQUEST_DEADLINE_DAYS} days after it).`,
    periodDays: MAX_ACCOUNT_GRACE_DAYS,
    legalBasis: `${DPP}: seller data deleted when no longer needed; GDPR Art. 17 right to erasure`,
    deletion: "crypto_shred",
    legalHoldApplies: true,
  },
  {
    type: "application_logs",
    label: "Application logs",
    covers: "Structured operational logs, free of PII and secrets by construction (redacted)",
    tables: [],
    rule:
      `Written to standard output, never stored by Seller Pilot; keep them ${APPLICATION_LOG_DAYS} days in ` +
      "your log collector.",
    periodDays: APPLICATION_LOG_DAYS,
    legalBasis: "Operational troubleshooting; data minimization (no PII, no secrets in logs)",
    deletion: "not_stored",
    legalHoldApplies: false,
  },
  {
    type: "audit_records",
    label: "Audit records",
    covers: "The hash-chained log of every access to Amazon Information and every security event",
    tables: ["audit_entries", "audit_checkpoints"],
    rule:
      `Kept at least 12 months; whole signed segments older than ${AUDIT_DAYS} days are deleted, ` +
      "leaving a signed anchor so the rest still verifies.",
    periodDays: AUDIT_DAYS,
    legalBasis: `${DPP}: security logs protected from tampering and kept at least 12 months`,
    deletion: "segment_delete",
    legalHoldApplies: false,
  },
];

export function policyOf(type: DataType): DataTypePolicy {
  const found = RETENTION_POLICY.find((p) => p.type === type);
  if (!found) throw new Error(`no retention policy for ${type}`);
  return found;
}

/** `days` before `at`, as ISO text (the stores compare ISO-8601 UTC text). */
export function daysBefore(at: Date, days: number): string {
  return new Date(at.getTime() - days * MS.day).toISOString();
}

export function daysAfter(at: Date | string, days: number): string {
  return new Date(new Date(at).getTime() + days * MS.day).toISOString();
}
