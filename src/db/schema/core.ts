import type { Generated } from "kysely";

// Instance settings, seller accounts, the connect flow, deletion receipts, backups (DB is in ../schema.ts).

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
