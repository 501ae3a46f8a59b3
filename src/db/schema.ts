import type { Generated } from "kysely";

/** Kysely table types. Timestamps are ISO-8601 UTC text on both stores so ordering and comparison agree. */
export interface InstanceSettingsTable {
  key: string;
  value: string;
  updated_at: string;
}

export type SellerAccountStatus = "active" | "authorization_revoked" | "closed";

export interface SellerAccountsTable {
  id: string;
  name: string;
  region: string;
  status: SellerAccountStatus;
  selling_partner_id: string | null;
  /** Sealed: sp1:v<n>:... under the account's data key. */
  contact_email: string | null;
  created_at: string;
  updated_at: string;
  /** The owning organisation (migration 0005); null for accounts created before organisations existed. */
  organisation_id: string | null;
  /** JSON array of enabled feature names (migration 0009). */
  features: Generated<string>;
  /** JSON array of marketplace ids the seller participates in (migration 0009). */
  marketplaces: Generated<string>;
  authorized_at: string | null;
  revoked_at: string | null;
}

/** A single-use `state` of the connect flow (migration 0009); only its SHA-256 is stored. */
export interface ConnectStatesTable {
  state_hash: string;
  user_id: string;
  session_id: string;
  organisation_id: string;
  /** JSON array of the feature names chosen at start. */
  features: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

export interface DeletionReceiptsTable {
  id: string;
  kind: string;
  subject_hash: string;
  requested_by: string;
  executed_at: string;
  /** Canonical JSON: counts, destroyed key versions, policy. Never ids in the clear, never data. */
  details: string;
  receipt_hash: string;
}

export type BackupStatus = "kept" | "pruned";

/** One backup archive this instance wrote (see src/backup). Not part of any backup itself. */
export interface BackupsTable {
  id: string;
  /** Absolute path of the archive when it was written. */
  file: string;
  created_at: string;
  /** The KEK version that wraps the archive's data key; kept rows stop that version from being retired. */
  kek_version: number;
  size_bytes: number;
  /** SHA-256 of the whole archive file (hex); empty while the archive is being written. */
  sha256: string;
  status: BackupStatus;
  pruned_at: string | null;
}

// Identity: credentials (migration 0006). Keyed by user_id; no foreign key to users.
export interface UserPasswordsTable {
  user_id: string;
  /** argon2id PHC string. */
  hash: string;
  changed_at: string;
  /** 1 after an admin reset: the next sign-in must change the password. */
  must_change: number;
}

export interface PasswordHistoryTable {
  id: string;
  user_id: string;
  hash: string;
  created_at: string;
}

export interface MfaTotpTable {
  user_id: string;
  /** The data-key owner of the sealed secret: always the instance account. */
  account_id: string;
  /** Sealed: sp1:v<n>:... under the instance data key. */
  secret: string;
  confirmed: number;
  created_at: string;
  confirmed_at: string | null;
  last_used_step: number | null;
}

export interface RecoveryCodesTable {
  id: string;
  user_id: string;
  /** SHA-256 (hex) of the normalized code. */
  code_hash: string;
  created_at: string;
  used_at: string | null;
}

export interface PasskeyCredentialsTable {
  /** WebAuthn credential id (base64url). */
  id: string;
  user_id: string;
  /** COSE public key (base64url). */
  public_key: string;
  counter: number;
  /** JSON array of transports. */
  transports: string;
  device_type: string;
  backed_up: number;
  created_at: string;
  last_used_at: string | null;
}

export interface WebauthnChallengesTable {
  challenge: string;
  user_id: string;
  kind: string;
  expires_at: string;
}

export interface LoginFailuresTable {
  user_id: string;
  failures: number;
  last_failure_at: string;
  locked_at: string | null;
  locked_until: string | null;
}

export type SessionState = "pending_mfa" | "active";

export interface SessionsTable {
  id: string;
  /** SHA-256 (hex) of the opaque token. */
  token_hash: string;
  user_id: string;
  state: SessionState;
  created_at: string;
  last_seen_at: string;
  absolute_expires_at: string;
  mfa_verified_at: string | null;
}

export interface ApiTokensTable {
  id: string;
  /** SHA-256 (hex) of the token. */
  token_hash: string;
  user_id: string;
  name: string;
  /** JSON: {"accounts": string[], "permissions": string[]}. */
  scopes: string;
  created_at: string;
  created_by_session: string;
  expires_at: string;
  revoked_at: string | null;
  last_used_at: string | null;
}

// Identity: users and access (migration 0005).
export interface OrganisationsTable {
  id: string;
  name: string;
  created_at: string;
}

export type UserStatus = "active" | "disabled";

export interface UsersTable {
  id: string;
  organisation_id: string | null;
  /** Normalized: trimmed, lower-case. Unique: one identity per person. */
  email: string;
  display_name: string;
  status: UserStatus;
  /** 0 | 1 on both stores. */
  is_instance_admin: number;
  created_at: string;
  disabled_at: string | null;
}

export interface MembershipsTable {
  user_id: string;
  seller_account_id: string;
  role: string;
  granted_by: string;
  granted_at: string;
}

export interface InvitationsTable {
  id: string;
  organisation_id: string;
  seller_account_id: string;
  email: string;
  role: string;
  /** SHA-256 (hex) of the invitation token. */
  token_hash: string;
  invited_by: string;
  created_at: string;
  expires_at: string;
  accepted_at: string | null;
  accepted_user_id: string | null;
}

export type AccessReviewStatus = "open" | "completed";

export interface AccessReviewsTable {
  id: string;
  organisation_id: string;
  status: AccessReviewStatus;
  opened_by: string;
  opened_at: string;
  completed_by: string | null;
  completed_at: string | null;
}

export type AccessReviewDecision = "confirmed" | "revoked";

export interface AccessReviewItemsTable {
  id: string;
  review_id: string;
  user_id: string;
  seller_account_id: string;
  role: string;
  decision: AccessReviewDecision | null;
  decided_by: string | null;
  decided_at: string | null;
}

export interface PiiRevealGrantsTable {
  id: string;
  user_id: string;
  seller_account_id: string;
  order_id: string;
  purpose: string;
  /** Sealed: sp1:v<n>:... under the account's data key. */
  note: string | null;
  granted_at: string;
  expires_at: string;
}

/** One audit log entry (src/audit): ids and outcomes only, never PII, secrets or values. */
export interface AuditEntriesTable {
  /** Position in the chain: contiguous from 1 (or from the latest retention anchor + 1). */
  seq: number;
  id: string;
  at: string;
  actor: string;
  action: string;
  outcome: string;
  /** Canonical JSON object of target ids. */
  target: string;
  request_id: string | null;
  reason: string | null;
  prev_hash: string;
  /** SHA-256 (hex) over the canonical JSON of the entry and prev_hash. */
  hash: string;
}

export type AuditCheckpointKind = "checkpoint" | "anchor";

/** Ed25519-signed statements about the chain: its head at seq (checkpoint) or where retention cut it (anchor). */
export interface AuditCheckpointsTable {
  seq: number;
  kind: AuditCheckpointKind;
  head_hash: string;
  at: string;
  key_id: string;
  public_key: string;
  signature: string;
}

/** SP-API token buckets shared by worker processes (migration 0007); see src/amazon/rate-limiter.ts. */
export interface SpapiRateBucketsTable {
  bucket_key: string;
  /** May be negative: callers that reserved a future slot. */
  tokens: number;
  rate: number;
  burst: number;
  updated_ms: number;
}

// Amazon Information (migration 0008, src/sync). Money: integer minor units + ISO 4217 currency.
export interface OrdersTable {
  /** Derived from (account_id, amazon_order_id); see src/sync/orders-repo.ts. */
  id: string;
  account_id: string;
  amazon_order_id: string;
  marketplace: string | null;
  status: string;
  fulfillment_channel: string;
  purchase_date: string;
  last_updated_at: string;
  latest_ship_date: string | null;
  latest_delivery_date: string | null;
  delivered_at: string | null;
  total_minor: number | null;
  currency: string | null;
  item_count: number | null;
  unit_count: number | null;
  ship_service_level: string | null;
  ship_country: string | null;
  is_business: number | null;
  is_prime: number | null;
  shipping_enabled: number;
  has_buyer_data: number;
  has_recipient_data: number;
  source: string;
  unknown_enum: number;
  created_at: string;
  updated_at: string;
}

export interface OrderItemsTable {
  order_id: string;
  item_key: string;
  account_id: string;
  order_item_id: string | null;
  sku: string | null;
  asin: string | null;
  title: string | null;
  quantity: number;
  currency: string | null;
  item_price_minor: number | null;
  item_tax_minor: number | null;
  shipping_price_minor: number | null;
  promotion_discount_minor: number | null;
  created_at: string;
  updated_at: string;
}

/** FBM buyer/recipient data. Every value column is sealed: sp1:v<n>:... under the account's data key. */
export interface OrderBuyerPiiTable {
  order_id: string;
  account_id: string;
  buyer_name: string | null;
  ship_name: string | null;
  address_line1: string | null;
  address_line2: string | null;
  address_line3: string | null;
  city: string | null;
  state_or_region: string | null;
  postal_code: string | null;
  country_code: string | null;
  phone: string | null;
  delivered_at: string | null;
  purge_after: string | null;
  created_at: string;
  updated_at: string;
}

export interface InventorySummariesTable {
  account_id: string;
  marketplace: string;
  sku: string;
  asin: string | null;
  fn_sku: string | null;
  product_name: string | null;
  condition: string | null;
  fulfillable_quantity: number;
  inbound_quantity: number;
  reserved_quantity: number;
  unfulfillable_quantity: number;
  total_quantity: number;
  last_updated_at: string;
  synced_at: string;
}

export interface PricesTable {
  account_id: string;
  marketplace: string;
  asin: string;
  sku: string | null;
  currency: string;
  own_price_minor: number | null;
  buy_box_price_minor: number | null;
  lowest_price_minor: number | null;
  is_buy_box_winner: number | null;
  offer_count: number | null;
  as_of: string;
  synced_at: string;
}

export interface FinancialEventsTable {
  account_id: string;
  event_key: string;
  event_type: string;
  posted_date: string;
  amazon_order_id: string | null;
  sku: string | null;
  fee_type: string | null;
  amount_minor: number;
  currency: string;
  created_at: string;
}

export interface SyncCheckpointsTable {
  account_id: string;
  stream: string;
  cursor: string | null;
  updated_at: string;
  last_success_at: string | null;
  last_error_code: string | null;
  last_error_at: string | null;
  throttled_count: number;
}

/** Incident response (migration 0013, src/incidents): no PII, ids and generated text only. */
export interface IncidentsTable {
  id: string;
  rule: string;
  dedup_key: string;
  severity: string;
  state: string;
  title: string;
  summary: string;
  account_id: string | null;
  point_of_contact: string;
  detected_at: string;
  deadline_at: string;
  notified_at: string | null;
  escalated_at: string | null;
  closed_at: string | null;
  updated_at: string;
  occurrences: number;
}

export interface IncidentEventsTable {
  incident_id: string;
  seq: number;
  at: string;
  kind: string;
  actor: string;
  detail: string;
}

/** Evidence notes: each hash covers the note and the previous note's hash (chain of custody). */
export interface IncidentEvidenceTable {
  incident_id: string;
  seq: number;
  at: string;
  actor: string;
  content: string;
  prev_hash: string;
  hash: string;
}

export interface IncidentDetectorStateTable {
  id: string;
  cursor_seq: number;
  state: string;
  verified_at: string | null;
  updated_at: string;
}

/** Retention (migration 0012, src/retention): a hold exempts an account, or one order, from deletion. */
export interface LegalHoldsTable {
  id: string;
  account_id: string;
  amazon_order_id: string | null;
  order_row_id: string | null;
  reason: string;
  owner: string;
  created_by: string;
  created_at: string;
  expires_at: string | null;
  released_at: string | null;
  released_by: string | null;
}

export type DeletionRequestKind = "request" | "revocation" | "closure";
export type DeletionRequestStatus = "scheduled" | "completed" | "cancelled";

export interface DeletionRequestsTable {
  id: string;
  account_id: string;
  kind: DeletionRequestKind;
  status: DeletionRequestStatus;
  requested_by: string;
  requested_at: string;
  execute_after: string;
  deadline: string;
  reminders_sent: number;
  completed_at: string | null;
  cancelled_at: string | null;
  receipt_id: string | null;
  receipt_hash: string | null;
  updated_at: string;
}

export interface RetentionRunsTable {
  id: string;
  as_of: string;
  started_at: string;
  finished_at: string | null;
  policy_version: string;
  /** interrupted: stopped between batches (shutdown); the next run finishes the work. */
  status: "running" | "completed" | "failed" | "interrupted";
  receipt: string | null;
  receipt_hash: string | null;
}

/** Background jobs (migration 0011, src/jobs): schedules and their status per (job name, scope). */
export interface JobSchedulesTable {
  name: string;
  /** The seller account id, or '' for an instance-wide schedule. */
  scope: string;
  account_id: string | null;
  every_ms: number;
  /** JSON payload handed to each run. */
  payload: string;
  next_run_at: string;
  last_run_at: string | null;
  last_success_at: string | null;
  /** A catalog error code only: never a message, stack or secret. */
  last_error_code: string | null;
  last_error_at: string | null;
  created_at: string;
  updated_at: string;
}

/** Accounts whose jobs are stopped (e.g. a revoked authorization) until resumed. */
export interface JobPausesTable {
  account_id: string;
  code: string;
  paused_at: string;
}

export type JobRunState = "queued" | "running" | "succeeded" | "failed" | "cancelled";

/** The in-process runner's queue; a running row's lease is taken over by another process once it expires. */
export interface JobRunsTable {
  id: string;
  name: string;
  account_id: string | null;
  payload: string;
  singleton_key: string | null;
  state: JobRunState;
  attempts: number;
  max_attempts: number;
  run_after: string;
  lease_owner: string | null;
  lease_expires_at: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  error_code: string | null;
}

export interface DB {
  instance_settings: InstanceSettingsTable;
  seller_accounts: SellerAccountsTable;
  connect_states: ConnectStatesTable;
  deletion_receipts: DeletionReceiptsTable;
  backups: BackupsTable;
  organisations: OrganisationsTable;
  users: UsersTable;
  memberships: MembershipsTable;
  invitations: InvitationsTable;
  access_reviews: AccessReviewsTable;
  access_review_items: AccessReviewItemsTable;
  pii_reveal_grants: PiiRevealGrantsTable;
  user_passwords: UserPasswordsTable;
  password_history: PasswordHistoryTable;
  mfa_totp: MfaTotpTable;
  recovery_codes: RecoveryCodesTable;
  passkey_credentials: PasskeyCredentialsTable;
  webauthn_challenges: WebauthnChallengesTable;
  login_failures: LoginFailuresTable;
  sessions: SessionsTable;
  api_tokens: ApiTokensTable;
  audit_entries: AuditEntriesTable;
  audit_checkpoints: AuditCheckpointsTable;
  spapi_rate_buckets: SpapiRateBucketsTable;
  orders: OrdersTable;
  order_items: OrderItemsTable;
  order_buyer_pii: OrderBuyerPiiTable;
  inventory_summaries: InventorySummariesTable;
  prices: PricesTable;
  financial_events: FinancialEventsTable;
  sync_checkpoints: SyncCheckpointsTable;
  job_schedules: JobSchedulesTable;
  job_pauses: JobPausesTable;
  job_runs: JobRunsTable;
  incidents: IncidentsTable;
  incident_events: IncidentEventsTable;
  incident_evidence: IncidentEvidenceTable;
  incident_detector_state: IncidentDetectorStateTable;
  legal_holds: LegalHoldsTable;
  deletion_requests: DeletionRequestsTable;
  retention_runs: RetentionRunsTable;
}
