import type { DB } from "./schema.js";

/**
 * Every column that holds sealed values (PII, credentials), with the columns that give its FieldRef.
 * Data-key rotation re-encrypts exactly these; a test fails if a sealed value appears anywhere else.
 */
export interface SealedColumn {
  table: keyof DB & string;
  column: string;
  /** Column holding the row id used in the ciphertext's binding. */
  idColumn: string;
  /** Column holding the owning seller account id. */
  accountColumn: string;
}

export const SEALED_COLUMNS: readonly SealedColumn[] = [
  { table: "seller_accounts", column: "contact_email", idColumn: "id", accountColumn: "id" },
  // Identity: credentials — TOTP secrets, sealed under the instance account's data key.
  { table: "mfa_totp", column: "secret", idColumn: "user_id", accountColumn: "account_id" },
  { table: "pii_reveal_grants", column: "note", idColumn: "id", accountColumn: "seller_account_id" },
  // FBM buyer and recipient data (migration 0008, src/sync/orders-repo.ts).
  { table: "order_buyer_pii", column: "buyer_name", idColumn: "order_id", accountColumn: "account_id" },
  { table: "order_buyer_pii", column: "ship_name", idColumn: "order_id", accountColumn: "account_id" },
  { table: "order_buyer_pii", column: "address_line1", idColumn: "order_id", accountColumn: "account_id" },
  { table: "order_buyer_pii", column: "address_line2", idColumn: "order_id", accountColumn: "account_id" },
  { table: "order_buyer_pii", column: "address_line3", idColumn: "order_id", accountColumn: "account_id" },
  { table: "order_buyer_pii", column: "city", idColumn: "order_id", accountColumn: "account_id" },
  { table: "order_buyer_pii", column: "state_or_region", idColumn: "order_id", accountColumn: "account_id" },
  { table: "order_buyer_pii", column: "postal_code", idColumn: "order_id", accountColumn: "account_id" },
  { table: "order_buyer_pii", column: "country_code", idColumn: "order_id", accountColumn: "account_id" },
  { table: "order_buyer_pii", column: "phone", idColumn: "order_id", accountColumn: "account_id" },
];

/** Tables that hold rows of one seller account, deleted with it (children first). */
export const ACCOUNT_TABLES: ReadonlyArray<{ table: keyof DB & string; accountColumn: string }> = [
  // The job tables name accounts without a foreign key (instance-wide jobs have none): deleted explicitly,
  // so no schedule keeps firing for an account that is gone. Everything else cascades from seller_accounts.
  { table: "job_runs", accountColumn: "account_id" },
  { table: "job_pauses", accountColumn: "account_id" },
  { table: "job_schedules", accountColumn: "account_id" },
  { table: "seller_accounts", accountColumn: "id" },
];
