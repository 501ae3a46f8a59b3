import type { KeystoreDB } from "../crypto/keystore-schema.js";

export type SecretState = "current" | "pending" | "previous";

export interface SecretsTable {
  name: string;
  version: number;
  state: SecretState;
  /** Whose data key seals the value: a seller account id, or "instance" for application credentials. */
  account_id: string;
  value: string;
  created_at: string;
  created_by: string;
  promoted_at: string | null;
  last_used_at: string | null;
  last_used_by: string | null;
}

/** The vault: the keystore and the secrets, in their own store under their own key. */
export interface VaultDB extends KeystoreDB {
  vault_secrets: SecretsTable;
}
