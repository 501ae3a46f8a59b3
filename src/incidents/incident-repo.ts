import type { Kysely, Selectable } from "kysely";
import type { DB, IncidentsTable } from "../db/schema.js";
import type {
  EvidenceNote,
  Incident,
  IncidentState,
  RuleId,
  Severity,
  TimelineEvent,
} from "./incident-types.js";

export function toIncident(r: Selectable<IncidentsTable>): Incident {
  return {
    id: r.id,
    rule: r.rule as RuleId,
    severity: r.severity as Severity,
    state: r.state as IncidentState,
    title: r.title,
    summary: r.summary,
    accountId: r.account_id,
    pointOfContact: r.point_of_contact,
    detectedAt: r.detected_at,
    deadlineAt: r.deadline_at,
    notifiedAt: r.notified_at,
    escalatedAt: r.escalated_at,
    closedAt: r.closed_at,
    updatedAt: r.updated_at,
    occurrences: Number(r.occurrences),
  };
}

export async function insertIncident(db: Kysely<DB>, row: IncidentsTable): Promise<void> {
  await db.insertInto("incidents").values(row).execute();
}

export async function findIncident(db: Kysely<DB>, id: string): Promise<Incident | null> {
  const row = await db.selectFrom("incidents").selectAll().where("id", "=", id).executeTakeFirst();
  return row ? toIncident(row) : null;
}

/** The open (not closed) incident for a rule's subject, if any: repeated findings join it. */
export async function findOpenByKey(db: Kysely<DB>, dedupKey: string): Promise<Incident | null> {
  const row = await db
    .selectFrom("incidents")
    .selectAll()
    .where("dedup_key", "=", dedupKey)
    .where("state", "!=", "closed")
    .orderBy("detected_at", "desc")
    .limit(1)
    .executeTakeFirst();
  return row ? toIncident(row) : null;
}

export interface IncidentFilter {
  /** Incidents of these accounts; with `includeInstanceWide`, also those that concern no account. */
  accountIds?: readonly string[];
  includeInstanceWide?: boolean;
  limit?: number;
}

export async function listIncidents(db: Kysely<DB>, filter: IncidentFilter = {}): Promise<Incident[]> {
  let q = db.selectFrom("incidents").selectAll();
  if (filter.accountIds !== undefined) {
    const ids = [...filter.accountIds];
    q = q.where((eb) => {
      const parts = [];
      if (ids.length > 0) parts.push(eb("account_id", "in", ids));
      if (filter.includeInstanceWide) parts.push(eb("account_id", "is", null));
      return parts.length > 0 ? eb.or(parts) : eb.val(false);
    });
  }
  const rows = await q
    .orderBy("detected_at", "desc")
    .orderBy("id")
    .limit(filter.limit ?? 200)
    .execute();
  return rows.map(toIncident);
}

/** Incidents nobody has recorded a notice for, still open: the escalation check reads these. */
export async function listUnnotified(db: Kysely<DB>): Promise<Incident[]> {
  const rows = await db
    .selectFrom("incidents")
    .selectAll()
    .where("notified_at", "is", null)
    .where("state", "!=", "closed")
    .orderBy("deadline_at")
    .execute();
  return rows.map(toIncident);
}

export async function updateIncident(
  db: Kysely<DB>,
  id: string,
  set: Partial<Omit<IncidentsTable, "id">>,
  expectedState?: IncidentState,
): Promise<boolean> {
  let q = db.updateTable("incidents").set(set).where("id", "=", id);
  // Compare-and-set on the state: two operators moving one incident cannot both win.
  if (expectedState !== undefined) q = q.where("state", "=", expectedState);
  const result = await q.executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

async function nextSeq(db: Kysely<DB>, table: "incident_events" | "incident_evidence", id: string) {
  const row = await db
    .selectFrom(table)
    .select((eb) => eb.fn.max("seq").as("seq"))
    .where("incident_id", "=", id)
    .executeTakeFirst();
  return Number(row?.seq ?? 0) + 1;
}

export async function appendEvent(
  db: Kysely<DB>,
  incidentId: string,
  event: Omit<TimelineEvent, "seq">,
): Promise<TimelineEvent> {
  const seq = await nextSeq(db, "incident_events", incidentId);
  await db
    .insertInto("incident_events")
    .values({ incident_id: incidentId, seq, ...event })
    .execute();
  return { seq, ...event };
}

export async function listEvents(db: Kysely<DB>, incidentId: string): Promise<TimelineEvent[]> {
  const rows = await db
    .selectFrom("incident_events")
    .selectAll()
    .where("incident_id", "=", incidentId)
    .orderBy("seq")
    .execute();
  return rows.map((r) => ({
    seq: Number(r.seq),
    at: r.at,
    kind: r.kind as TimelineEvent["kind"],
    actor: r.actor,
    detail: r.detail,
  }));
}

export async function lastEvidence(db: Kysely<DB>, incidentId: string): Promise<EvidenceNote | null> {
  const notes = await db
    .selectFrom("incident_evidence")
    .selectAll()
    .where("incident_id", "=", incidentId)
    .orderBy("seq", "desc")
    .limit(1)
    .execute();
  const r = notes[0];
  return r ? toNote(r) : null;
}

function toNote(r: Selectable<DB["incident_evidence"]>): EvidenceNote {
  return {
    seq: Number(r.seq),
    at: r.at,
    actor: r.actor,
    content: r.content,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

export async function insertEvidence(db: Kysely<DB>, incidentId: string, note: EvidenceNote): Promise<void> {
  await db
    .insertInto("incident_evidence")
    .values({
      incident_id: incidentId,
      seq: note.seq,
      at: note.at,
      actor: note.actor,
      content: note.content,
      prev_hash: note.prevHash,
      hash: note.hash,
    })
    .execute();
}

export async function listEvidence(db: Kysely<DB>, incidentId: string): Promise<EvidenceNote[]> {
  const rows = await db
    .selectFrom("incident_evidence")
    .selectAll()
    .where("incident_id", "=", incidentId)
    .orderBy("seq")
    .execute();
  return rows.map(toNote);
}

export interface DetectorState {
  cursorSeq: number;
  states: Record<string, unknown>;
  verifiedAt: string | null;
}

const DETECTOR = "default";

export async function readDetectorState(db: Kysely<DB>): Promise<DetectorState> {
  const row = await db
    .selectFrom("incident_detector_state")
    .selectAll()
    .where("id", "=", DETECTOR)
    .executeTakeFirst();
  if (!row) return { cursorSeq: 0, states: {}, verifiedAt: null };
  return {
    cursorSeq: Number(row.cursor_seq),
    states: JSON.parse(row.state) as Record<string, unknown>,
    verifiedAt: row.verified_at,
  };
}

/**
 * Saves the detector's progress only if nobody moved the cursor since `from` was read (compare-and-set):
 * two overlapping runs cannot both open incidents for the same entries. Returns whether it saved.
 */
export async function saveDetectorState(
  db: Kysely<DB>,
  from: DetectorState,
  to: DetectorState,
  now: string,
): Promise<boolean> {
  const values = {
    cursor_seq: to.cursorSeq,
    state: JSON.stringify(to.states),
    verified_at: to.verifiedAt,
    updated_at: now,
  };
  const existing = await db
    .selectFrom("incident_detector_state")
    .select("cursor_seq")
    .where("id", "=", DETECTOR)
    .executeTakeFirst();
  if (!existing) {
    if (from.cursorSeq !== 0) return false;
    const inserted = await db
      .insertInto("incident_detector_state")
      .values({ id: DETECTOR, ...values })
      .onConflict((oc) => oc.column("id").doNothing())
      .executeTakeFirst();
    return Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1;
  }
  const updated = await db
    .updateTable("incident_detector_state")
    .set(values)
    .where("id", "=", DETECTOR)
    .where("cursor_seq", "=", from.cursorSeq)
    .executeTakeFirst();
  return Number(updated.numUpdatedRows) === 1;
}
