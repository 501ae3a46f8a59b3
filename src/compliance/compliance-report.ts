import type { Kysely } from "kysely";
import { listSellerAccounts } from "../accounts/accounts-repo.js";
import { FEATURES, type FeatureName, isFeatureName, requiredRoles } from "../amazon/features.js";
import { auditSigner } from "../audit/audit-chain.js";
import { MIN_AUDIT_RETENTION_MONTHS } from "../audit/audit-retention.js";
import { verifyAuditLog } from "../audit/audit-verify.js";
import { type Config, isDemoMode } from "../config/config.js";
import type { DB } from "../db/schema.js";
import { NOTICE_DEADLINE_MS } from "../incidents/incident-types.js";
import { MS } from "../platform/clock.js";
import { AUDIT_DAYS, RETENTION_POLICY } from "../retention/retention-policy.js";
import { scheduledDeletionRequests } from "../retention/retention-repo.js";
import type { RetentionService } from "../retention/retention-service.js";
import {
  accessControl,
  encryptionControl,
  type SecurityFactsDeps,
  transportControl,
} from "./compliance-security.js";
import {
  type ComplianceReport,
  type Control,
  type ControlStatus,
  summarize,
  worst,
} from "./compliance-types.js";

export interface ComplianceDeps extends SecurityFactsDeps {
  config: SecurityFactsDeps["config"] & Pick<Config, "env" | "incidents" | "security">;
  db: Kysely<DB>;
  retention: Pick<RetentionService, "status">;
  appVersion: string;
}

async function auditControl(deps: ComplianceDeps): Promise<Control> {
  const { db } = deps;
  const verification = await verifyAuditLog(db, { trustedPublicKeys: [auditSigner(deps.master).publicKey] });
  // Read-only: the newest signed checkpoint (audit-repo is the writers' door, so it is not imported here).
  const checkpoint = await db
    .selectFrom("audit_checkpoints")
    .select(["seq", "at", "key_id"])
    .where("kind", "=", "checkpoint")
    .orderBy("seq", "desc")
    .limit(1)
    .executeTakeFirst();
  const retentionOk = AUDIT_DAYS >= 365;
  const status: ControlStatus = !verification.valid ? "failed" : retentionOk ? "ok" : "failed";
  return {
    id: "audit.log",
    area: "audit",
    title: "Audit logging",
    requirement:
      "DPP: log access to Amazon Information and security events in a tamper-evident log kept at least 12 months.",
    status,
    finding: verification.valid
      ? `hash chain and signatures verify over ${verification.entries} entries`
      : `audit log does not verify: ${verification.problem.kind} at seq ${verification.problem.seq}`,
    evidence: {
      chainValid: verification.valid,
      entries: verification.valid ? verification.entries : null,
      entriesChecked: verification.valid ? verification.entries : verification.entriesChecked,
      problem: verification.valid
        ? null
        : {
            kind: verification.problem.kind,
            seq: verification.problem.seq,
            message: verification.problem.message,
          },
      lastSignedCheckpoint: checkpoint
        ? { seq: Number(checkpoint.seq), at: checkpoint.at, keyId: checkpoint.key_id }
        : null,
      retentionDays: AUDIT_DAYS,
      minimumRetentionMonths: MIN_AUDIT_RETENTION_MONTHS,
    },
  };
}

async function retentionControl(deps: ComplianceDeps, at: Date): Promise<Control> {
  const { db } = deps;
  const atIso = at.toISOString();
  const status = await deps.retention.status({ at });
  const holds = await db
    .selectFrom("legal_holds")
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .where("released_at", "is", null)
    .where((eb) => eb.or([eb("expires_at", "is", null), eb("expires_at", ">", atIso)]))
    .executeTakeFirstOrThrow();
  const scheduled = await scheduledDeletionRequests(db);
  const overdueRecords = status.dataTypes.reduce((n, t) => n + t.overdue, 0);
  const pastDeadline = scheduled.filter((r) => r.deadline < atIso).length;
  const notes: string[] = [];
  const statuses: ControlStatus[] = [];
  if (overdueRecords > 0) {
    statuses.push("failed");
    notes.push(`${overdueRecords} record(s) past their retention period: run retention run`);
  }
  if (pastDeadline > 0) {
    statuses.push("failed");
    notes.push(`${pastDeadline} deletion(s) past their deadline`);
  }
  if (!status.lastRun) {
    statuses.push("warning");
    notes.push("retention has never run");
  } else if (status.lastRun.status === "failed") {
    statuses.push("warning");
    notes.push("last retention run failed");
  } else if (status.lastRun.status === "interrupted") {
    // A shutdown or the job's time limit: what it deleted stays deleted; overdue records (above) show the rest.
    notes.push("last retention run was interrupted (shutdown or time limit); the next run completes it");
  }
  return {
    id: "retention.policy",
    area: "retention",
    title: "Data retention and deletion",
    requirement:
      "DPP: delete buyer PII within 30 days of delivery, keep Amazon Information no longer than needed, honour deletion requests, and delete on account closure.",
    status: worst(...statuses),
    finding: notes.length > 0 ? notes.join("; ") : "nothing overdue for deletion",
    evidence: {
      policyVersion: status.policyVersion,
      accountGraceDays: status.accountGraceDays,
      policy: RETENTION_POLICY.map((p) => ({
        type: p.type,
        label: p.label,
        rule: p.rule,
        periodDays: p.periodDays,
        deletion: p.deletion,
        legalHoldApplies: p.legalHoldApplies,
      })),
      dataTypes: status.dataTypes.map((t) => ({
        type: t.type,
        records: t.records,
        overdue: t.overdue,
        held: t.held,
      })),
      legalHoldsActive: Number(holds.n),
      deletionsScheduled: scheduled.map((r) => ({
        accountId: r.accountId,
        kind: r.kind,
        requestedAt: r.requestedAt,
        executeAfter: r.executeAfter,
        deadline: r.deadline,
        pastDeadline: r.deadline < atIso,
      })),
      lastRun: status.lastRun,
    },
  };
}

async function incidentControl(deps: ComplianceDeps, at: Date): Promise<Control> {
  const { config, db } = deps;
  const atIso = at.toISOString();
  const open = await db
    .selectFrom("incidents")
    .select(["id", "severity", "state", "detected_at", "deadline_at", "notified_at"])
    .where("state", "!=", "closed")
    .orderBy("detected_at")
    .execute();
  const pastDeadline = open.filter((i) => i.notified_at === null && i.deadline_at < atIso).length;
  const awaiting = open.filter((i) => i.notified_at === null && i.deadline_at >= atIso).length;
  const channels: Control["evidence"] = {
    email: config.incidents.email
      ? { configured: true, recipients: config.incidents.email.to.length }
      : { configured: false },
    webhook: config.incidents.webhook ? { configured: true, signed: true } : { configured: false },
  };
  const noChannel = !config.incidents.email && !config.incidents.webhook;
  const status = worst(pastDeadline > 0 ? "failed" : "ok", awaiting > 0 || noChannel ? "warning" : "ok");
  const notes = [
    ...(pastDeadline > 0 ? [`${pastDeadline} open incident(s) past the 24-hour notice deadline`] : []),
    ...(awaiting > 0 ? [`${awaiting} open incident(s) awaiting notice`] : []),
    ...(noChannel ? ["no alert channel configured (e-mail or webhook)"] : []),
  ];
  return {
    id: "incidents.response",
    area: "incidents",
    title: "Incident response",
    requirement:
      "DPP: an incident response plan with a point of contact; notify Amazon of a security incident within 24 hours of detection.",
    status,
    finding: notes.length > 0 ? notes.join("; ") : "contact and alert channel configured, no notice overdue",
    evidence: {
      pointOfContact: config.incidents.contact,
      securityContact: config.security.contact,
      alertChannels: channels,
      noticeDeadlineHours: NOTICE_DEADLINE_MS / MS.hour,
      open: open.map((i) => ({
        id: i.id,
        severity: i.severity,
        state: i.state,
        detectedAt: i.detected_at,
        noticeDeadline: i.deadline_at,
        notifiedAt: i.notified_at,
        pastDeadline: i.notified_at === null && i.deadline_at < atIso,
      })),
    },
  };
}

async function spapiControl(deps: ComplianceDeps): Promise<Control> {
  const accounts = await listSellerAccounts(deps.db);
  const rows = await deps.db.selectFrom("seller_accounts").select(["id", "features"]).execute();
  const featuresOf = new Map(rows.map((r) => [r.id, parseFeatures(r.features)]));
  const evidence = accounts.map((a) => {
    const features = featuresOf.get(a.id) ?? [];
    return {
      id: a.id,
      name: a.name,
      region: a.region,
      status: a.status,
      features: features.map((f) => ({ name: f, label: FEATURES[f].label })),
      requiredRoles: requiredRoles(features),
    };
  });
  return {
    id: "spapi.least_privilege",
    area: "spapi",
    title: "SP-API least privilege",
    requirement:
      "DPP and Acceptable Use Policy: request only the roles and data the enabled features need; restricted data only through a Restricted Data Token.",
    status: "ok",
    finding: `${accounts.length} seller account(s); calls outside a feature are refused before they leave`,
    evidence: { accounts: evidence },
  };
}

function parseFeatures(raw: string): FeatureName[] {
  try {
    const value: unknown = JSON.parse(raw);
    return Array.isArray(value)
      ? value.filter((v): v is FeatureName => typeof v === "string" && isFeatureName(v))
      : [];
  } catch {
    return [];
  }
}

/** Reads every control now (or as of `at` for the time-dependent ones) and totals them. */
export async function gatherComplianceReport(
  deps: ComplianceDeps,
  times: { now: Date; at?: Date },
): Promise<ComplianceReport> {
  const at = times.at ?? times.now;
  const controls = [
    await transportControl(deps, at),
    await encryptionControl(deps, at),
    await accessControl(deps, at),
    await auditControl(deps),
    await retentionControl(deps, at),
    await incidentControl(deps, at),
    await spapiControl(deps),
  ];
  return {
    kind: "seller-pilot-compliance-report",
    version: 1,
    generatedAt: times.now.toISOString(),
    asOf: at.toISOString(),
    instance: {
      env: deps.config.env,
      store: deps.config.database.kind,
      mode: isDemoMode(deps.config) ? "demo" : "connected",
      appVersion: deps.appVersion,
    },
    summary: summarize(controls),
    controls,
  };
}
