import type { Database } from "../db/database.js";
import type { Clock } from "../platform/clock.js";
import { AppError } from "../platform/errors.js";
import { type AuditSigner, signatureProblem } from "./audit-chain.js";
import {
  appendWithCheckpoint,
  type CheckpointPolicy,
  DEFAULT_CHECKPOINT_POLICY,
  toNewEntry,
} from "./audit-log.js";
import { insertSigned, latestSigned, withAppendLock } from "./audit-repo.js";
import { verifyAuditLog } from "./audit-verify.js";

/** The DPP keeps logs at least 12 months: retention never cuts anything younger. */
export const MIN_AUDIT_RETENTION_MONTHS = 12;

export interface AuditRetentionDeps {
  database: Pick<Database, "db" | "kind">;
  clock: Clock;
  signer: AuditSigner;
  checkpointPolicy?: CheckpointPolicy;
}

export interface AuditRetentionResult {
  cutoff: string;
  /** The last seq removed (the new anchor), or null when no whole segment was old enough. */
  throughSeq: number | null;
  entriesDeleted: number;
  checkpointsDeleted: number;
}

/** now minus 12 calendar months (UTC). */
export function earliestAllowedCutoff(now: Date): Date {
  const d = new Date(now.getTime());
  d.setUTCMonth(d.getUTCMonth() - MIN_AUDIT_RETENTION_MONTHS);
  return d;
}

/**
 * Deletes whole segments (entries up to a signed checkpoint) whose entries are all older than `cutoff`.
 * In one transaction under the append lock: a signed anchor at the last removed seq (it carries that
 * entry's hash, so the first kept entry still links to something signed), then the deletes (the triggers
 * allow them only below an anchor), then this run's own audit entry. Refuses a cutoff less than
 * 12 months back, and deletes nothing from a log that does not verify.
 */
export async function runAuditRetention(
  deps: AuditRetentionDeps,
  options: { cutoff: Date; actor: string },
): Promise<AuditRetentionResult> {
  const now = deps.clock.now();
  if (Number.isNaN(options.cutoff.getTime()))
    throw new AppError("VALIDATION_FAILED", "The retention cutoff is not a valid time.");
  if (options.cutoff.getTime() > earliestAllowedCutoff(now).getTime())
    throw new AppError("AUDIT_RETENTION_TOO_SHORT");
  const cutoff = options.cutoff.toISOString();
  const policy = deps.checkpointPolicy ?? DEFAULT_CHECKPOINT_POLICY;
  // Never delete evidence: a log that does not verify is an incident, not something to tidy up. (Checked
  // before taking the lock so appends are not held up by the walk; the cut itself re-checks its boundary.)
  const check = await verifyAuditLog(deps.database.db, { trustedPublicKeys: [deps.signer.publicKey] });
  if (!check.valid)
    throw new AppError(
      "AUDIT_CHAIN_INVALID",
      `The audit log does not verify (${check.problem.kind} at seq ${check.problem.seq}); retention deleted nothing.`,
    );

  return withAppendLock(deps.database, async (db) => {
    const anchor = await latestSigned(db, "anchor");
    const firstYoung = await db
      .selectFrom("audit_entries")
      .select((eb) => eb.fn.min("seq").as("seq"))
      .where("at", ">=", cutoff)
      .executeTakeFirst();
    let query = db
      .selectFrom("audit_checkpoints")
      .selectAll()
      .where("kind", "=", "checkpoint")
      .where("seq", ">", anchor?.seq ?? 0)
      .orderBy("seq", "desc")
      .limit(1);
    if (firstYoung?.seq !== null && firstYoung?.seq !== undefined)
      query = query.where("seq", "<", Number(firstYoung.seq));
    const boundary = await query.executeTakeFirst();

    let result: AuditRetentionResult = { cutoff, throughSeq: null, entriesDeleted: 0, checkpointsDeleted: 0 };
    if (boundary) {
      const entry = await db
        .selectFrom("audit_entries")
        .select("hash")
        .where("seq", "=", boundary.seq)
        .executeTakeFirst();
      const why = signatureProblem(boundary, new Set([deps.signer.publicKey]));
      if (!entry || entry.hash !== boundary.head_hash || why)
        throw new AppError(
          "AUDIT_CHAIN_INVALID",
          `The audit log does not match its checkpoint at ${boundary.seq}; retention deleted nothing (run audit verify).`,
        );
      await insertSigned(db, deps.signer, "anchor", { seq: boundary.seq, hash: boundary.head_hash }, now);
      const checkpoints = await db
        .deleteFrom("audit_checkpoints")
        .where("kind", "=", "checkpoint")
        .where("seq", "<=", boundary.seq)
        .executeTakeFirst();
      const entries = await db
        .deleteFrom("audit_entries")
        .where("seq", "<=", boundary.seq)
        .executeTakeFirst();
      result = {
        cutoff,
        throughSeq: boundary.seq,
        entriesDeleted: Number(entries.numDeletedRows),
        checkpointsDeleted: Number(checkpoints.numDeletedRows),
      };
    }
    const own = toNewEntry(
      {
        action: "audit.retention",
        actor: options.actor,
        outcome: "success",
        target: {
          cutoff,
          through: String(result.throughSeq ?? "none"),
          entries: String(result.entriesDeleted),
          checkpoints: String(result.checkpointsDeleted),
        },
      },
      now,
    );
    await appendWithCheckpoint(db, deps.signer, [own], now, policy);
    return result;
  });
}
