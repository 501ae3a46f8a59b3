// Typed calls for the data and retention page: the policy table, one account's retention status, legal
// holds and the owner's deletion request. The server decides who may do what; these check the shapes.
import { isRecord, type Result, requestJson, type Validator } from "./api";

const seg = encodeURIComponent;
const base = (accountId: string) => `/api/accounts/${seg(accountId)}`;
const withSignal = (signal?: AbortSignal) => (signal ? { signal } : {});

export interface PolicyRow {
  type: string;
  label: string;
  covers: string;
  rule: string;
  periodDays: number | null;
  legalBasis: string;
  deletion: string;
  legalHoldApplies: boolean;
}

export interface Policy {
  version: string;
  accountGraceDays: number;
  dataTypes: PolicyRow[];
}

export interface TypeCounts {
  type: string;
  records: number | null;
  overdue: number | null;
  held: number | null;
}

export interface LegalHold {
  id: string;
  amazonOrderId: string | null;
  reason: string;
  owner: string;
  createdBy: string;
  createdAt: string;
  expiresAt: string | null;
  releasedAt: string | null;
  active: boolean;
}

export interface RetentionStatus {
  asOf: string;
  policyVersion: string;
  dataTypes: TypeCounts[];
  legalHolds: LegalHold[];
  deletionRequest: {
    id: string;
    status: string;
    requestedBy: string;
    requestedAt: string;
    deadline: string;
  } | null;
  scheduledDeletion: {
    reason: "revocation" | "closure";
    since: string;
    executeAfter: string;
    deadline: string;
    graceDays: number;
    recorded: boolean;
  } | null;
  upcomingPurges: Array<{ day: string; count: number }>;
}

export interface NewHold {
  amazonOrderId?: string;
  reason: string;
  owner: string;
  expiresAt?: string;
}

const policyValidator: Validator<Policy> = (v) =>
  isRecord(v) && typeof v.version === "string" && Array.isArray(v.dataTypes)
    ? (v as unknown as Policy)
    : null;

const statusValidator: Validator<RetentionStatus> = (v) => {
  if (!isRecord(v)) return null;
  for (const key of ["dataTypes", "legalHolds", "upcomingPurges"]) if (!Array.isArray(v[key])) return null;
  if (v.deletionRequest !== null && !isRecord(v.deletionRequest)) return null;
  if (v.scheduledDeletion !== null && !isRecord(v.scheduledDeletion)) return null;
  return v as unknown as RetentionStatus;
};

const anything: Validator<true> = () => true;

export const retention = {
  policy: (signal?: AbortSignal): Promise<Result<Policy>> =>
    requestJson("GET", "/api/retention/policy", policyValidator, withSignal(signal)),
  status: (accountId: string, signal?: AbortSignal): Promise<Result<RetentionStatus>> =>
    requestJson("GET", `${base(accountId)}/retention`, statusValidator, withSignal(signal)),
  addHold: (accountId: string, hold: NewHold): Promise<Result<true>> =>
    requestJson("POST", `${base(accountId)}/legal-holds`, anything, { body: hold }),
  releaseHold: (accountId: string, holdId: string): Promise<Result<true>> =>
    requestJson("DELETE", `${base(accountId)}/legal-holds/${seg(holdId)}`, anything),
  requestDeletion: (accountId: string): Promise<Result<true>> =>
    requestJson("POST", `${base(accountId)}/deletion-request`, anything),
};
