// Identity (migrations 0005, 0006); the DB interface is in ../schema.ts.

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
