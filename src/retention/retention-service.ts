import { createHash } from "node:crypto";
import type { AccountDeletionDeps } from "../accounts/account-deletion.js";
import type { AuditSigner } from "../audit/audit-chain.js";
import { canonicalJson } from "../audit/audit-chain.js";
import { earliestAllowedCutoff, runAuditRetention } from "../audit/audit-retention.js";
import type { Database } from "../db/database.js";
import { AppError, isAppError } from "../platform/errors.js";
import { newId } from "../platform/ids.js";
import { checkGraceDays, executeSchedules, reconcileSchedules } from "./account-schedule.js";
import { countBuyerPii, type Holds, purgeBuyerPii } from "./buyer-pii-purge.js";
import { countAudit, countExpiring, type ExpiringType, expireData } from "./data-expiry.js";
import {
  AUDIT_DAYS,
  DATA_TYPES,
  type DataType,
  daysAfter,
  daysBefore,
  MAX_ACCOUNT_GRACE_DAYS,
  policyOf,
  RETENTION_POLICY_VERSION,
} from "./retention-policy.js";
import { activeHolds, scheduledDeletionRequests } from "./retention-repo.js";

export interface RetentionServiceDeps extends Omit<AccountDeletionDeps, "database"> {
  database: Pick<Database, "db" | "kind" | "checkpoint">;
  /** The instance's audit signing key: audit retention anchors what it cuts with a signed statement. */
  signer: AuditSigner;
  /** Days between revoked authorization / closure and deletion (at most 90). */
  accountGraceDays?: number;
  batchSize?: number;
}

export type ProgressFn = (phase: string, done: number, total: number | null) => void;

export interface DataTypeStatus {
  type: DataType;
  records: number;
  /** Past the policy at `asOf` and not under a legal hold: what the next run deletes. */
  overdue: number;
  /** Past the policy but kept by a legal hold. */
  held: number;
  periodDays: number | null;
  deletion: string;
  rule: string;
}

export interface RetentionStatus {
  asOf: string;
  policyVersion: string;
  accountGraceDays: number;
  dataTypes: DataTypeStatus[];
  /** Open deletions (revoked, closed, requested) with how many reminders went out (30, 7, 1 days before). */
  scheduledDeletions: Array<{
    accountId: string;
    kind: string;
    executeAfter: string;
    deadline: string;
    remindersSent: number;
  }>;
  lastRun: {
    id: string;
    asOf: string;
    finishedAt: string | null;
    status: string;
    receiptHash: string | null;
  } | null;
}

export interface RetentionReceipt {
  run: string;
  asOf: string;
  policyVersion: string;
  deleted: Record<DataType, number>;
  held: { buyerPii: number; accounts: number };
  /** SHA-256 of every deleted record's hashed id (one per line), and the first hashed ids in full. */
  hashedIds: Record<string, { count: number; digest: string; sample: string[] }>;
  accountDeletions: { receipts: string[]; reminders: number; scheduled: number; cancelled: number };
  audit: { throughSeq: number | null; error: string | null };
}

export interface RetentionRunResult {
  receipt: RetentionReceipt;
  receiptHash: string;
}

const EXPIRING: readonly ExpiringType[] = ["order_data", "inventory_data", "pricing_data", "financial_data"];

export function createRetentionService(deps: RetentionServiceDeps) {
  const graceDays = checkGraceDays(deps.accountGraceDays ?? MAX_ACCOUNT_GRACE_DAYS);
  const batchSize = deps.batchSize ?? 500;
  const { database, clock, audit } = deps;
  const db = database.db;
  const auditCutoff = (at: Date) => {
    // Never less than 12 months back from the real now, whatever --at says (audit-retention refuses it).
    const wanted = Date.parse(daysBefore(at, AUDIT_DAYS));
    const floor = earliestAllowedCutoff(clock.now()).getTime();
    return new Date(Math.min(wanted, floor)).toISOString();
  };

  async function accountCounts(at: Date, holds: Holds) {
    const { n } = await db
      .selectFrom("seller_accounts")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    const now = at.toISOString();
    const due = new Set<string>();
    for (const r of await scheduledDeletionRequests(db)) if (r.executeAfter <= now) due.add(r.accountId);
    const ended = await db
      .selectFrom("seller_accounts")
      .select(["id", "status", "revoked_at", "updated_at"])
      .where("status", "in", ["authorization_revoked", "closed"])
      .execute();
    for (const a of ended) {
      const since = a.status === "authorization_revoked" ? (a.revoked_at ?? a.updated_at) : a.updated_at;
      if (daysAfter(since, graceDays) <= now) due.add(a.id);
    }
    const existing = new Set(
      due.size === 0
        ? []
        : (
            await db
              .selectFrom("seller_accounts")
              .select("id")
              .where("id", "in", [...due])
              .execute()
          ).map((r) => r.id),
    );
    const held = [...existing].filter((id) => holds.accounts.has(id)).length;
    return { records: Number(n), overdue: existing.size - held, held };
  }

  async function countsOf(type: DataType, at: Date, holds: Holds) {
    if (type === "buyer_pii") return countBuyerPii(db, at, holds, null);
    if (type === "account_and_contact_data") return accountCounts(at, holds);
    if (type === "application_logs") return { records: 0, overdue: 0, held: 0 };
    if (type === "audit_records") return { ...(await countAudit(db, auditCutoff(at))), held: 0 };
    return countExpiring(db, type, at, holds, null);
  }

  return {
    accountGraceDays: graceDays,

    async status(options: { at?: Date } = {}): Promise<RetentionStatus> {
      const at = options.at ?? clock.now();
      const holds = await activeHolds(db, at);
      const dataTypes: DataTypeStatus[] = [];
      for (const type of DATA_TYPES) {
        const policy = policyOf(type);
        dataTypes.push({
          type,
          ...(await countsOf(type, at, holds)),
          periodDays: type === "account_and_contact_data" ? graceDays : policy.periodDays,
          deletion: policy.deletion,
          rule: policy.rule,
        });
      }
      const last = await db
        .selectFrom("retention_runs")
        .selectAll()
        .orderBy("started_at", "desc")
        .orderBy("id", "desc")
        .executeTakeFirst();
      return {
        asOf: at.toISOString(),
        policyVersion: RETENTION_POLICY_VERSION,
        accountGraceDays: graceDays,
        dataTypes,
        scheduledDeletions: (await scheduledDeletionRequests(db)).map((r) => ({
          accountId: r.accountId,
          kind: r.kind,
          executeAfter: r.executeAfter,
          deadline: r.deadline,
          remindersSent: r.remindersSent,
        })),
        lastRun: last
          ? {
              id: last.id,
              asOf: last.as_of,
              finishedAt: last.finished_at,
              status: last.status,
              receiptHash: last.receipt_hash,
            }
          : null,
      };
    },

    /**
     * Applies the policy as of `at`: buyer data, non-PII data, scheduled account deletions, audit segments;
     * then makes the deletions final on disk and writes the run's receipt to the audit log. Idempotent: a
     * rerun at the same `at` deletes nothing more (and says so in its own receipt). An abort (shutdown) stops
     * the run between batches: the run is recorded as interrupted, with no receipt, and the next run finishes
     * the work; everything deleted before the abort stays deleted.
     */
    async run(
      options: { at?: Date; onProgress?: ProgressFn; actor?: string; signal?: AbortSignal } = {},
    ): Promise<RetentionRunResult> {
      const { signal } = options;
      const at = options.at ?? clock.now();
      const progress: ProgressFn = options.onProgress ?? (() => undefined);
      const actor = options.actor ?? "retention";
      const id = newId();
      await db
        .insertInto("retention_runs")
        .values({
          id,
          as_of: at.toISOString(),
          started_at: clock.now().toISOString(),
          finished_at: null,
          policy_version: RETENTION_POLICY_VERSION,
          status: "running",
          receipt: null,
          receipt_hash: null,
        })
        .execute();
      const deleted = Object.fromEntries(DATA_TYPES.map((t) => [t, 0])) as Record<DataType, number>;
      const hashedIds: RetentionReceipt["hashedIds"] = {};
      let interrupted = false;
      /** What the run deleted per data type, as the audit entry's target carries it. */
      const deletedCounts = () => Object.fromEntries(DATA_TYPES.map((t) => [t, String(deleted[t])]));
      /** Ends the run's row with its receipt (canonical JSON); returns the receipt's SHA-256. */
      const finish = async (status: "completed" | "interrupted", receipt: unknown): Promise<string> => {
        const body = canonicalJson(receipt);
        const receiptHash = createHash("sha256").update(body).digest("hex");
        await db
          .updateTable("retention_runs")
          .set({ status, finished_at: clock.now().toISOString(), receipt: body, receipt_hash: receiptHash })
          .where("id", "=", id)
          .execute();
        return receiptHash;
      };
      // Stopped between batches (shutdown, the job's time limit): what was deleted is made final on disk and
      // accounted for in a partial receipt, the run is recorded as interrupted, and the next run does the rest.
      const interrupt = async (): Promise<never> => {
        await database.checkpoint();
        const partial = { run: id, asOf: at.toISOString(), interrupted: true, deleted, hashedIds };
        const receiptHash = await finish("interrupted", partial);
        await audit.record({
          action: "retention.run",
          actor,
          outcome: "failure",
          target: {
            run: id,
            status: "interrupted",
            receipt: receiptHash,
            ...deletedCounts(),
          },
          reason: "SYNC_ABORTED",
        });
        interrupted = true;
        signal?.throwIfAborted();
        throw new AppError("SYNC_ABORTED");
      };
      try {
        const holds = await activeHolds(db, at);

        const pii = await countBuyerPii(db, at, holds, null);
        progress("buyer_pii", 0, pii.overdue);
        const purged = await purgeBuyerPii(db, {
          at,
          holds,
          batchSize,
          onBatch: (n) => progress("buyer_pii", n, pii.overdue),
          signal,
        });
        deleted.buyer_pii = purged.purged;
        hashedIds.buyer_pii = {
          count: purged.ids.count,
          digest: purged.ids.digest(),
          sample: purged.ids.sample,
        };
        progress("buyer_pii", purged.purged, purged.purged);
        if (purged.stopped) await interrupt();

        for (const type of EXPIRING) {
          progress(type, 0, null);
          const r = await expireData(db, type, {
            at,
            holds,
            batchSize,
            onBatch: (n) => progress(type, n, null),
            signal,
          });
          deleted[type] = r.deleted;
          if (r.ids) hashedIds[type] = { count: r.ids.count, digest: r.ids.digest(), sample: r.ids.sample };
          if (r.stopped) await interrupt();
        }

        progress("account_and_contact_data", 0, null);
        const reconciled = await reconcileSchedules({ db, audit }, at, graceDays);
        const accounts = await executeSchedules(deps, at, holds, signal);
        deleted.account_and_contact_data = accounts.deleted;
        // The audit cut and the checkpoint that follow are short: past the accounts, the run finishes.
        if (accounts.stopped) await interrupt();

        progress("audit_records", 0, null);
        let auditResult: RetentionReceipt["audit"] = { throughSeq: null, error: null };
        try {
          const cut = await runAuditRetention(
            { database, clock, signer: deps.signer },
            { cutoff: new Date(auditCutoff(at)), actor },
          );
          deleted.audit_records = cut.entriesDeleted;
          auditResult = { throughSeq: cut.throughSeq, error: null };
        } catch (err) {
          // A log that does not verify is evidence: nothing is cut, the rest of the run still stands.
          if (!isAppError(err)) throw err;
          auditResult = { throughSeq: null, error: err.code };
        }

        // secure_delete zeroes freed pages; the checkpoint moves them into the main file and truncates the WAL.
        await database.checkpoint();
        const receipt: RetentionReceipt = {
          run: id,
          asOf: at.toISOString(),
          policyVersion: RETENTION_POLICY_VERSION,
          deleted,
          held: { buyerPii: purged.held, accounts: accounts.held },
          hashedIds,
          accountDeletions: {
            receipts: accounts.receipts,
            reminders: accounts.reminders,
            scheduled: reconciled.scheduled,
            cancelled: reconciled.cancelled,
          },
          audit: auditResult,
        };
        const receiptHash = await finish("completed", receipt);
        await audit.record({
          action: "retention.receipt",
          actor,
          outcome: "success",
          target: {
            run: id,
            policy: RETENTION_POLICY_VERSION,
            asOf: receipt.asOf,
            receipt: receiptHash,
            ...deletedCounts(),
            buyer_pii_ids: hashedIds.buyer_pii.digest,
            held: String(purged.held + accounts.held),
          },
          ...(auditResult.error ? { reason: auditResult.error } : {}),
        });
        return { receipt, receiptHash };
      } catch (err) {
        if (interrupted) throw err;
        await db
          .updateTable("retention_runs")
          .set({ status: "failed", finished_at: clock.now().toISOString() })
          .where("id", "=", id)
          .execute();
        await audit.record({
          action: "retention.run",
          actor,
          outcome: "failure",
          target: { run: id, status: "failed" },
          reason: isAppError(err) ? err.code : "INTERNAL",
        });
        throw err;
      }
    },
  };
}

export type RetentionService = ReturnType<typeof createRetentionService>;
