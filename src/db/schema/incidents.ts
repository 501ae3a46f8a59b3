// Incident response (migration 0013, src/incidents); the DB interface is in ../schema.ts.

/** Incident response (migration 0013, src/incidents): no PII, ids and generated text only. */
export interface IncidentsTable {
  id: string;
  rule: string;
  dedup_key: string;
  severity: string;
  state: string;
  title: string;
  summary: string;
  account_id: string | null;
  point_of_contact: string;
  detected_at: string;
  deadline_at: string;
  notified_at: string | null;
  escalated_at: string | null;
  closed_at: string | null;
  updated_at: string;
  occurrences: number;
}

export interface IncidentEventsTable {
  incident_id: string;
  seq: number;
  at: string;
  kind: string;
  actor: string;
  detail: string;
}

/** Evidence notes: each hash covers the note and the previous note's hash (chain of custody). */
export interface IncidentEvidenceTable {
  incident_id: string;
  seq: number;
  at: string;
  actor: string;
  content: string;
  prev_hash: string;
  hash: string;
}

export interface IncidentDetectorStateTable {
  id: string;
  cursor_seq: number;
  state: string;
  verified_at: string | null;
  updated_at: string;
}
