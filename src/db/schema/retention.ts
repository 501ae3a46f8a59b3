// Retention (migration 0012, src/retention); the DB interface is in ../schema.ts.

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
