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

export interface DB {
  instance_settings: InstanceSettingsTable;
  seller_accounts: SellerAccountsTable;
  deletion_receipts: DeletionReceiptsTable;
}
