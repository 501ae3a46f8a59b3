/**
 * The keystore lives in the vault (src/secrets opens it: its own SQLCipher file, or its own tables in
 * PostgreSQL), never in the data store, so data backups carry ciphertext only and destroying an
 * account's data keys here makes every copy of its data unreadable.
 */
export type KeyStatus = "current" | "previous" | "retired";

export interface KekVersionsTable {
  version: number;
  provider: string;
  key_ref: string;
  /** null once retired: the KEK is gone. */
  material: string | null;
  status: KeyStatus;
  created_at: string;
  retired_at: string | null;
}

export interface AccountDataKeysTable {
  account_id: string;
  version: number;
  kek_version: number;
  /** base64 of the data key wrapped under kek_version; null once retired or destroyed. */
  wrapped: string | null;
  status: KeyStatus;
  created_at: string;
  retired_at: string | null;
}

export interface KeystoreDB {
  vault_kek_versions: KekVersionsTable;
  vault_account_data_keys: AccountDataKeysTable;
}
