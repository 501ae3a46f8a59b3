import type { Kysely } from "kysely";
import type { AuditSink } from "../audit/audit-sink.js";
import type { DB } from "../db/schema.js";
import type { Clock } from "../platform/clock.js";
import { AppError } from "../platform/errors.js";
import { newId } from "../platform/ids.js";
import type { Logger } from "../platform/logger.js";
import type { AlertChannel, IncidentAlert } from "./incident-alerts.js";
import {
  type EvidenceVerification,
  evidenceGenesis,
  evidenceHash,
  verifyEvidenceChain,
} from "./incident-evidence.js";
import { draftNotices, type NoticeDrafts } from "./incident-notice.js";
import * as repo from "./incident-repo.js";
import type { Finding } from "./incident-rules.js";
import {
  canTransition,
  ESCALATE_BEFORE_MS,
  type EvidenceNote,
  type Incident,
  type IncidentState,
  NOTICE_DEADLINE_MS,
  type TimelineEvent,
} from "./incident-types.js";

export interface IncidentServiceDeps {
  db: Kysely<DB>;
  clock: Clock;
  audit: AuditSink;
  /** The named incident point of contact put on every new incident (config: SELLER_PILOT_INCIDENT_CONTACT). */
  pointOfContact: string;
  channels?: readonly AlertChannel[];
  logger?: Pick<Logger, "warn" | "error">;
}

export interface IncidentDetail {
  incident: Incident;
  timeline: TimelineEvent[];
  evidence: EvidenceNote[];
  evidenceCheck: EvidenceVerification;
}

const MAX_NOTE = 10_000;
const MAX_DETAIL = 1000;

const clip = (text: string) => (text.length > MAX_DETAIL ? `${text.slice(0, MAX_DETAIL - 1)}…` : text);

export function createIncidentService(deps: IncidentServiceDeps) {
  const { db, clock, audit } = deps;
  const channels = deps.channels ?? [];

  async function get(id: string): Promise<Incident> {
    const incident = await repo.findIncident(db, id);
    if (!incident) throw new AppError("INCIDENT_NOT_FOUND");
    return incident;
  }

  /** Every channel is tried; a failure is on the timeline and in the log, never thrown at the detector. */
  async function alert(a: IncidentAlert, now: Date): Promise<number> {
    let delivered = 0;
    const at = now.toISOString();
    for (const channel of channels) {
      try {
        await channel.send(a);
        delivered += 1;
        await repo.appendEvent(db, a.incident.id, {
          at,
          kind: "alert",
          actor: "system",
          detail: `${a.kind} alert sent by ${channel.name}`,
        });
      } catch (err) {
        deps.logger?.error({ err, channel: channel.name, incident: a.incident.id }, "incident alert failed");
        await repo.appendEvent(db, a.incident.id, {
          at,
          kind: "alert_failed",
          actor: "system",
          detail: `${a.kind} alert by ${channel.name} failed`,
        });
      }
    }
    return delivered;
  }

  /**
   * Opens an incident for a finding, or, when one is already open for the same rule and subject, adds
   * the finding to its timeline (a burst that goes on does not page anyone twice).
   */
  async function openFromFinding(
    finding: Finding,
    now: Date = clock.now(),
  ): Promise<{ incident: Incident; created: boolean }> {
    const at = now.toISOString();
    const key = `${finding.rule}:${finding.subject}`.slice(0, 300);
    const attempt = () =>
      db.transaction().execute(async (trx) => {
        const open = await repo.findOpenByKey(trx, key);
        if (open) {
          await repo.updateIncident(trx, open.id, { occurrences: open.occurrences + 1, updated_at: at });
          await repo.appendEvent(trx, open.id, {
            at,
            kind: "occurrence",
            actor: "detector",
            detail: clip(finding.summary),
          });
          return { incident: { ...open, occurrences: open.occurrences + 1, updatedAt: at }, created: false };
        }
        const row = {
          id: newId(),
          rule: finding.rule,
          dedup_key: key,
          severity: finding.severity,
          state: "detected",
          title: finding.title,
          summary: clip(finding.summary),
          account_id: finding.accountId,
          point_of_contact: deps.pointOfContact,
          // The 24 hours run from detection (now), not from the audit entry that triggered it.
          detected_at: at,
          deadline_at: new Date(now.getTime() + NOTICE_DEADLINE_MS).toISOString(),
          notified_at: null,
          escalated_at: null,
          closed_at: null,
          updated_at: at,
          occurrences: 1,
        };
        await repo.insertIncident(trx, row);
        await repo.appendEvent(trx, row.id, {
          at,
          kind: "detected",
          actor: "detector",
          detail: clip(`${finding.title}. ${finding.summary}`),
        });
        return { incident: repo.toIncident(row), created: true };
      });
    // An overlapping run may open the same key between our read and insert: the unique index on open
    // keys refuses ours, and the second attempt joins theirs.
    const result = await attempt().catch(async (err: unknown) => {
      if (!(await repo.findOpenByKey(db, key))) throw err;
      return attempt();
    });
    if (result.created) {
      await audit.record({
        action: "incident.open",
        actor: "incident-detector",
        outcome: "success",
        target: { incident: result.incident.id, rule: finding.rule, severity: finding.severity },
      });
      await alert({ kind: "opened", incident: result.incident }, now);
    }
    return result;
  }

  async function transition(id: string, to: IncidentState, actor: string, note?: string): Promise<Incident> {
    const incident = await get(id);
    if (!canTransition(incident.state, to)) {
      await audit.record({
        action: "incident.transition",
        actor,
        outcome: "denied",
        target: { incident: id, from: incident.state, to },
        reason: "INCIDENT_TRANSITION_INVALID",
      });
      throw new AppError("INCIDENT_TRANSITION_INVALID", undefined, {
        details: { from: incident.state, to },
      });
    }
    const at = clock.now().toISOString();
    const moved = await db.transaction().execute(async (trx) => {
      const ok = await repo.updateIncident(
        trx,
        id,
        { state: to, updated_at: at, ...(to === "closed" ? { closed_at: at } : {}) },
        incident.state,
      );
      if (!ok) return false;
      await repo.appendEvent(trx, id, {
        at,
        kind: "transition",
        actor,
        detail: clip(`${incident.state} → ${to}${note ? `: ${note}` : ""}`),
      });
      return true;
    });
    if (!moved)
      throw new AppError("INCIDENT_TRANSITION_INVALID", "The incident changed meanwhile; reload it.");
    await audit.record({
      action: "incident.transition",
      actor,
      outcome: "success",
      target: { incident: id, from: incident.state, to },
    });
    return get(id);
  }

  async function addEvidence(id: string, actor: string, content: string): Promise<EvidenceNote> {
    if (content.length === 0 || content.length > MAX_NOTE)
      throw new AppError("VALIDATION_FAILED", `An evidence note is 1-${MAX_NOTE} characters.`);
    await get(id);
    const at = clock.now().toISOString();
    const note = await db.transaction().execute(async (trx) => {
      const last = await repo.lastEvidence(trx, id);
      const base = {
        seq: (last?.seq ?? 0) + 1,
        at,
        actor,
        content,
        prevHash: last?.hash ?? evidenceGenesis(id),
      };
      const full: EvidenceNote = { ...base, hash: evidenceHash(id, base) };
      await repo.insertEvidence(trx, id, full);
      await repo.appendEvent(trx, id, {
        at,
        kind: "evidence",
        actor,
        detail: `evidence note ${full.seq} added (sha256 ${full.hash})`,
      });
      return full;
    });
    // The hash, not the note, goes to the audit log: the note is free text and may quote anything.
    await audit.record({
      action: "incident.evidence",
      actor,
      outcome: "success",
      target: { incident: id, note: String(note.seq), sha256: note.hash },
    });
    return note;
  }

  async function markNotified(id: string, actor: string): Promise<Incident> {
    const incident = await get(id);
    if (incident.notifiedAt) return incident;
    const at = clock.now().toISOString();
    await db.transaction().execute(async (trx) => {
      await repo.updateIncident(trx, id, { notified_at: at, updated_at: at });
      await repo.appendEvent(trx, id, {
        at,
        kind: "notified",
        actor,
        detail: "notice to Amazon recorded as sent",
      });
    });
    await audit.record({ action: "incident.notified", actor, outcome: "success", target: { incident: id } });
    return get(id);
  }

  /**
   * Escalates each open incident whose notice is still unrecorded with ESCALATE_BEFORE_MS or less to go
   * (once per incident). Driven by the clock: the detection job calls it on every run.
   */
  async function checkDeadlines(now: Date = clock.now()): Promise<Incident[]> {
    const escalated: Incident[] = [];
    for (const incident of await repo.listUnnotified(db)) {
      if (incident.escalatedAt) continue;
      if (Date.parse(incident.deadlineAt) - now.getTime() > ESCALATE_BEFORE_MS) continue;
      const at = now.toISOString();
      const won = await db.transaction().execute(async (trx) => {
        const ok = await trx
          .updateTable("incidents")
          .set({ escalated_at: at, updated_at: at })
          .where("id", "=", incident.id)
          .where("escalated_at", "is", null)
          .executeTakeFirst();
        if (Number(ok.numUpdatedRows) !== 1) return false;
        await repo.appendEvent(trx, incident.id, {
          at,
          kind: "escalated",
          actor: "system",
          detail: `notice to Amazon not recorded; deadline ${incident.deadlineAt}`,
        });
        return true;
      });
      if (!won) continue;
      const current = { ...incident, escalatedAt: at, updatedAt: at };
      await audit.record({
        action: "incident.escalate",
        actor: "incident-detector",
        outcome: "success",
        target: { incident: incident.id },
      });
      await alert({ kind: "escalated", incident: current }, now);
      escalated.push(current);
    }
    return escalated;
  }

  async function show(id: string): Promise<IncidentDetail> {
    const incident = await get(id);
    const [timeline, evidence] = await Promise.all([repo.listEvents(db, id), repo.listEvidence(db, id)]);
    return { incident, timeline, evidence, evidenceCheck: verifyEvidenceChain(id, evidence) };
  }

  async function notices(id: string, instance: string): Promise<NoticeDrafts> {
    return draftNotices(await get(id), clock.now(), instance);
  }

  return {
    openFromFinding,
    transition,
    addEvidence,
    markNotified,
    checkDeadlines,
    show,
    notices,
    get,
    list: (filter?: repo.IncidentFilter) => repo.listIncidents(db, filter),
  };
}

export type IncidentService = ReturnType<typeof createIncidentService>;
