import type {
  FinancialEventsTable,
  InventorySummariesTable,
  OrderBuyerPiiTable,
  OrderItemsTable,
  OrdersTable,
  PricesTable,
  SyncCheckpointsTable,
} from "./schema/amazon-data.js";
import type { AuditCheckpointsTable, AuditEntriesTable, SpapiRateBucketsTable } from "./schema/audit.js";
import type {
  BackupsTable,
  ConnectStatesTable,
  DeletionReceiptsTable,
  InstanceSettingsTable,
  SellerAccountsTable,
} from "./schema/core.js";
import type {
  AccessReviewItemsTable,
  AccessReviewsTable,
  ApiTokensTable,
  InvitationsTable,
  LoginFailuresTable,
  MembershipsTable,
  MfaTotpTable,
  OrganisationsTable,
  PasskeyCredentialsTable,
  PasswordHistoryTable,
  PiiRevealGrantsTable,
  RecoveryCodesTable,
  SessionsTable,
  UserPasswordsTable,
  UsersTable,
  WebauthnChallengesTable,
} from "./schema/identity.js";
import type {
  IncidentDetectorStateTable,
  IncidentEventsTable,
  IncidentEvidenceTable,
  IncidentsTable,
} from "./schema/incidents.js";
import type { JobPausesTable, JobRunsTable, JobSchedulesTable } from "./schema/jobs.js";
import type { DeletionRequestsTable, LegalHoldsTable, RetentionRunsTable } from "./schema/retention.js";

export type * from "./schema/amazon-data.js";
export type * from "./schema/audit.js";
export type * from "./schema/core.js";
export type * from "./schema/identity.js";
export type * from "./schema/incidents.js";
export type * from "./schema/jobs.js";
export type * from "./schema/retention.js";

/** Kysely table types. Timestamps are ISO-8601 UTC text on both stores so ordering and comparison agree. */
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
