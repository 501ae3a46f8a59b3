import type { Kysely } from "kysely";
import { readAuditEntries } from "../audit/audit-read.js";
import { type AuditVerification, verifyAuditLog } from "../audit/audit-verify.js";
import type { DB } from "../db/schema.js";
import { type Clock, MS } from "../platform/clock.js";
import type { Logger } from "../platform/logger.js";
import * as repo from "./incident-repo.js";
import {
  DEFAULT_RULE_CONFIG,
  type DetectionInput,
  evaluateRules,
  type Finding,
  type RuleConfig,
  type ThrottleCounter,
} from "./incident-rules.js";
import type { IncidentService } from "./incident-service.js";
import type { Incident } from "./incident-types.js";

export interface DetectorDeps {
  db: Kysely<DB>;
  clock: Clock;
  incidents: Pick<IncidentService, "openFromFinding" | "checkDeadlines">;
  rules?: Partial<RuleConfig>;
  /** The instance's audit signing key(s): chain verification trusts only these signatures. */
  trustedPublicKeys?: readonly string[];
  /** How often the whole chain is re-verified (it walks every entry); default hourly. */
  verifyEveryMs?: number;
  /** The sync engine's 429 counters, sampled once a run; omitted: only throttled audit entries count. */
  throttleCounters?: () => Promise<readonly ThrottleCounter[]>;
  logger?: Pick<Logger, "warn" | "error">;
}

export interface DetectionRun {
  /** Audit entries read this run and the cursor after them. */
  entries: number;
  cursor: number;
  findings: Finding[];
  opened: Incident[];
  escalated: Incident[];
  verified: boolean;
  /** False when an overlapping run moved the cursor first (its findings joined the same open incidents). */
  saved: boolean;
}

/** Entries one run reads at most; a backlog is worked off over several runs. */
const MAX_ENTRIES_PER_RUN = 20_000;
const PAGE = 1000;

/** Owners and admins of any seller account, and instance admins: whose sign-ins the network rule watches. */
async function privilegedUsers(db: Kysely<DB>): Promise<ReadonlySet<string>> {
  const admins = await db.selectFrom("users").select("id").where("is_instance_admin", "=", 1).execute();
  const owners = await db
    .selectFrom("memberships")
    .select("user_id")
    .where("role", "in", ["owner", "admin"])
    .execute();
  return new Set([...admins.map((r) => r.id), ...owners.map((r) => r.user_id)]);
}

function verificationInput(at: string, v: AuditVerification): DetectionInput {
  return v.valid
    ? { kind: "verification", at, valid: true, problem: null }
    : { kind: "verification", at, valid: false, problem: { kind: v.problem.kind, seq: v.problem.seq } };
}

/**
 * The detection job: reads the audit entries after its cursor, runs the rule table over them (and over
 * the periodic chain verification and throttle counters), opens or joins incidents for the findings,
 * then escalates deadlines. The cursor is saved with compare-and-set after the incidents, so overlapping
 * runs (two processes, a slow run) cannot move it backwards, and repeated findings join the open incident
 * of their rule and subject instead of opening another.
 */
export function createDetector(deps: DetectorDeps) {
  const config: RuleConfig = { ...DEFAULT_RULE_CONFIG, ...deps.rules };
  const verifyEveryMs = deps.verifyEveryMs ?? MS.hour;

  async function runDetection(options: { at?: Date; signal?: AbortSignal } = {}): Promise<DetectionRun> {
    const { signal } = options;
    // `at` runs the job as of another time (CLI --at, tests); otherwise the injected clock.
    const now = options.at ?? deps.clock.now();
    const from = await repo.readDetectorState(deps.db);
    const inputs: DetectionInput[] = [];
    let cursor = from.cursorSeq;
    while (inputs.length < MAX_ENTRIES_PER_RUN) {
      // Nothing is saved before the findings: an abort while reading leaves the cursor where it was.
      signal?.throwIfAborted();
      const page = await readAuditEntries(deps.db, { afterSeq: cursor, limit: PAGE });
      for (const entry of page) inputs.push({ kind: "entry", entry });
      if (page.length === 0) break;
      cursor = page[page.length - 1]?.seq ?? cursor;
      if (page.length < PAGE) break;
    }
    const entries = inputs.length;

    let verifiedAt = from.verifiedAt;
    const verifyDue = verifiedAt === null || now.getTime() - Date.parse(verifiedAt) >= verifyEveryMs;
    signal?.throwIfAborted();
    if (verifyDue) {
      const result = await verifyAuditLog(deps.db, {
        ...(deps.trustedPublicKeys ? { trustedPublicKeys: deps.trustedPublicKeys } : {}),
      });
      inputs.push(verificationInput(now.toISOString(), result));
      verifiedAt = now.toISOString();
    }
    if (deps.throttleCounters) {
      inputs.push({ kind: "throttle", at: now.toISOString(), counters: await deps.throttleCounters() });
    }

    // From here on the run opens incidents and moves the cursor: it finishes (a bounded amount of work).
    signal?.throwIfAborted();
    const privileged = await privilegedUsers(deps.db);
    const { states, findings } = evaluateRules(from.states, inputs, {
      config,
      isPrivileged: (id) => privileged.has(id),
    });
    // Incidents first, progress second: a crash in between re-reads the same entries next run, and the
    // findings join the incidents already open for them (at least once: a finding is never lost).
    const opened: Incident[] = [];
    for (const finding of findings) {
      const { incident, created } = await deps.incidents.openFromFinding(finding, now);
      if (created) opened.push(incident);
    }
    const saved = await repo.saveDetectorState(
      deps.db,
      from,
      { cursorSeq: cursor, states, verifiedAt },
      now.toISOString(),
    );
    if (!saved)
      deps.logger?.warn({ cursor: from.cursorSeq }, "incident detection: another run moved the cursor first");
    const escalated = await deps.incidents.checkDeadlines(now);
    return { entries, cursor, findings, opened, escalated, verified: verifyDue, saved };
  }

  return { runDetection };
}

export type Detector = ReturnType<typeof createDetector>;
