import type { DB } from "./schema.js";

/**
 * The one registry of data-store tables. Whatever walks every table (backups today; retention and exports
 * later) reads it from here, so a new table cannot be silently left out: the compiler checks every table
 * of DB is listed, and tables.test.ts checks every table the migrations create is listed.
 */
export interface TableSpec {
  name: keyof DB & string;
  /** Primary-key columns in key order: backups read tables in this order, restores check it. */
  primaryKey: readonly string[];
  /** Whether a data backup carries the table; when it does not, why. */
  backup: { include: true } | { include: false; reason: string };
}

/** Parents before children: a restore inserts in this order, so foreign keys always find their row. */
export const TABLES = [
  { name: "instance_settings", primaryKey: ["key"], backup: { include: true } },
  // Identity: organisations own seller accounts, so they are restored first (migration 0005).
  { name: "organisations", primaryKey: ["id"], backup: { include: true } },
  { name: "seller_accounts", primaryKey: ["id"], backup: { include: true } },
  {
    name: "connect_states",
    primaryKey: ["state_hash"],
    backup: { include: false, reason: "single-use connect-flow states that expire within five minutes" },
  },
  { name: "deletion_receipts", primaryKey: ["id"], backup: { include: true } },
  // Identity: users and access (migration 0005), parents before children.
  { name: "users", primaryKey: ["id"], backup: { include: true } },
  { name: "memberships", primaryKey: ["user_id", "seller_account_id"], backup: { include: true } },
  { name: "invitations", primaryKey: ["id"], backup: { include: true } },
  { name: "access_reviews", primaryKey: ["id"], backup: { include: true } },
  { name: "access_review_items", primaryKey: ["id"], backup: { include: true } },
  { name: "pii_reveal_grants", primaryKey: ["id"], backup: { include: true } },
  {
    name: "backups",
    primaryKey: ["id"],
    backup: {
      include: false,
      reason:
        "the catalog of archive files on this instance's disks: an archive cannot describe itself, and a " +
        "restored catalog would point at files the target does not have and pin KEK versions it does not need",
    },
  },
  // Identity: credentials (migration 0006)
  { name: "user_passwords", primaryKey: ["user_id"], backup: { include: true } },
  { name: "password_history", primaryKey: ["id"], backup: { include: true } },
  { name: "mfa_totp", primaryKey: ["user_id"], backup: { include: true } },
  { name: "recovery_codes", primaryKey: ["id"], backup: { include: true } },
  { name: "passkey_credentials", primaryKey: ["id"], backup: { include: true } },
  {
    name: "webauthn_challenges",
    primaryKey: ["challenge"],
    backup: { include: false, reason: "single-use ceremony challenges that expire within minutes" },
  },
  { name: "login_failures", primaryKey: ["user_id"], backup: { include: true } },
  {
    name: "sessions",
    primaryKey: ["id"],
    backup: {
      include: false,
      reason: "a restore must not revive sessions signed out since the backup: everyone signs in again",
    },
  },
  { name: "api_tokens", primaryKey: ["id"], backup: { include: true } },
  // Audit log (migration 0004): backed up, so a restore keeps the chain; its triggers allow the inserts.
  { name: "audit_entries", primaryKey: ["seq"], backup: { include: true } },
  { name: "audit_checkpoints", primaryKey: ["seq", "kind"], backup: { include: true } },
  {
    name: "spapi_rate_buckets",
    primaryKey: ["bucket_key"],
    backup: {
      include: false,
      reason:
        "short-lived SP-API rate-limit state: it refills within minutes and Amazon's buckets reset on their own",
    },
  },
  // Amazon Information (migration 0008): orders before their items and sealed buyer data.
  { name: "orders", primaryKey: ["id"], backup: { include: true } },
  { name: "order_items", primaryKey: ["order_id", "item_key"], backup: { include: true } },
  { name: "order_buyer_pii", primaryKey: ["order_id"], backup: { include: true } },
  {
    name: "inventory_summaries",
    primaryKey: ["account_id", "marketplace", "sku"],
    backup: { include: true },
  },
  { name: "prices", primaryKey: ["account_id", "marketplace", "asin"], backup: { include: true } },
  { name: "financial_events", primaryKey: ["account_id", "event_key"], backup: { include: true } },
  // Restored with the data it describes, so a restored store resumes syncing where its data ends.
  { name: "sync_checkpoints", primaryKey: ["account_id", "stream"], backup: { include: true } },
  // Background jobs (migration 0011): schedules and pauses are restored (a revoked account stays paused).
  { name: "job_schedules", primaryKey: ["name", "scope"], backup: { include: true } },
  { name: "job_pauses", primaryKey: ["account_id"], backup: { include: true } },
  {
    name: "job_runs",
    primaryKey: ["id"],
    backup: {
      include: false,
      reason: "transient queue of background work: a restored store enqueues again from its schedules",
    },
  },
  // Incident response (migration 0013): records an operator must keep, restored with the audit log they cite.
  { name: "incidents", primaryKey: ["id"], backup: { include: true } },
  { name: "incident_events", primaryKey: ["incident_id", "seq"], backup: { include: true } },
  { name: "incident_evidence", primaryKey: ["incident_id", "seq"], backup: { include: true } },
  { name: "incident_detector_state", primaryKey: ["id"], backup: { include: true } },
  // Retention (migration 0012): holds and deletion requests are decisions, runs carry deletion receipts.
  { name: "legal_holds", primaryKey: ["id"], backup: { include: true } },
  { name: "deletion_requests", primaryKey: ["id"], backup: { include: true } },
  { name: "retention_runs", primaryKey: ["id"], backup: { include: true } },
] as const satisfies readonly TableSpec[];

/** Tables Kysely's migrator keeps; a restore recreates them by running the migrations. */
export const MIGRATION_BOOKKEEPING_TABLES = ["schema_migrations", "schema_migrations_lock"] as const;

export const BACKUP_TABLES: readonly TableSpec[] = TABLES.filter((t) => t.backup.include);

export function tableSpec(name: string): TableSpec | undefined {
  return TABLES.find((t) => t.name === name);
}

type Unlisted = Exclude<keyof DB, (typeof TABLES)[number]["name"]>;
type Expect<T extends true> = T;
/** Fails to compile when a table is added to DB but not to TABLES. */
export type EveryTableListed = Expect<[Unlisted] extends [never] ? true : false>;
