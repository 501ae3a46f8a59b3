import { MS } from "../platform/clock.js";

/** The lifecycle, in order; an incident only moves forward (possibly skipping steps), never back. */
export const INCIDENT_STATES = [
  "detected",
  "triaged",
  "contained",
  "eradicated",
  "recovered",
  "post_incident_review",
  "closed",
] as const;
export type IncidentState = (typeof INCIDENT_STATES)[number];

export const SEVERITIES = ["low", "medium", "high", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];

export const RULE_IDS = [
  "bulk_pii_reveal",
  "failed_login_burst",
  "admin_new_network",
  "audit_chain_broken",
  "canary_read",
  "secret_read_unexpected",
  "sustained_throttling",
] as const;
export type RuleId = (typeof RULE_IDS)[number];

/** DPP: notice to Amazon within 24 hours of detection. */
export const NOTICE_DEADLINE_MS = 24 * MS.hour;
/** Escalate when this little time is left and nobody has recorded the notice (hour 20 of 24). */
export const ESCALATE_BEFORE_MS = 4 * MS.hour;

export function isIncidentState(value: unknown): value is IncidentState {
  return typeof value === "string" && (INCIDENT_STATES as readonly string[]).includes(value);
}

/** Forward only: `to` must come after `from` in the lifecycle. */
export function canTransition(from: IncidentState, to: IncidentState): boolean {
  return INCIDENT_STATES.indexOf(to) > INCIDENT_STATES.indexOf(from);
}

export interface Incident {
  id: string;
  rule: RuleId;
  severity: Severity;
  state: IncidentState;
  title: string;
  /** Generated from the finding: ids and counts only, never PII or secret values. */
  summary: string;
  accountId: string | null;
  pointOfContact: string;
  detectedAt: string;
  deadlineAt: string;
  notifiedAt: string | null;
  escalatedAt: string | null;
  closedAt: string | null;
  updatedAt: string;
  occurrences: number;
}

export interface TimelineEvent {
  seq: number;
  at: string;
  kind:
    | "detected"
    | "occurrence"
    | "transition"
    | "evidence"
    | "alert"
    | "alert_failed"
    | "escalated"
    | "notified";
  actor: string;
  detail: string;
}

export interface EvidenceNote {
  seq: number;
  at: string;
  actor: string;
  content: string;
  prevHash: string;
  hash: string;
}
