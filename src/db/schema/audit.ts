// The audit log (migration 0004) and the shared SP-API rate buckets (migration 0007).

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
