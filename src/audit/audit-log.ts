import type { Kysely } from "kysely";
import type { MasterKey } from "../crypto/master-key.js";
import type { Database } from "../db/database.js";
import type { DB } from "../db/schema.js";
import { type Clock, MS } from "../platform/clock.js";
import { AppError, isAppError } from "../platform/errors.js";
import type { Logger } from "../platform/logger.js";
import { currentRequestId } from "../platform/request-context.js";
import { type AuditSigner, auditSigner, canonicalJson } from "./audit-chain.js";
import {
  appendEntries,
  type ChainHead,
  insertSigned,
  latestSigned,
  type NewEntry,
  readHead,
  withAppendLock,
} from "./audit-repo.js";
import type { AuditEvent, AuditSink } from "./audit-sink.js";
import { newEntryId } from "./entry-id.js";

export interface CheckpointPolicy {
  /** Sign the head once this many entries follow the last checkpoint. */
  every: number;
  /** ... or once the last checkpoint is this old (checked when entries are appended). */
  afterMs: number;
}

export const DEFAULT_CHECKPOINT_POLICY: CheckpointPolicy = { every: 1000, afterMs: 5 * MS.minute };
/** Entries one transaction takes at most; callers beyond it wait for the next commit. */
export const DEFAULT_MAX_BATCH = 1000;
/**
 * How long the first event of an idle log waits for company before its commit starts. On SQLite a commit
 * runs almost synchronously, so without a window nothing arrives "while a commit runs" and every request
 * paid a whole transaction; 2 ms lets the requests of one event-loop turn and the next share one.
 */
export const DEFAULT_GROUP_WINDOW_MS = 2;

const ACTION = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$/;
const TARGET_KEY = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;
const REQUEST_ID = /^[A-Za-z0-9_.:-]{1,64}$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;
const OUTCOMES = new Set(["success", "failure", "denied"]);
const MAX_TARGET_KEYS = 32;
const MAX_TARGET_VALUE = 256;

function invalid(what: string): AppError {
  return new AppError("AUDIT_EVENT_INVALID", `Audit event refused: ${what}.`);
}

function boundedText(value: unknown, max: number, what: string): string {
  if (typeof value !== "string" || value.length === 0 || value.length > max || CONTROL.test(value))
    throw invalid(`${what} must be 1-${max} printable characters`);
  return value;
}

/** Checks an event's shape and gives it an id and a time; what it says is the caller's responsibility. */
export function toNewEntry(event: AuditEvent, now: Date): NewEntry {
  if (typeof event.action !== "string" || !ACTION.test(event.action)) throw invalid("action is not a code");
  if (!OUTCOMES.has(event.outcome)) throw invalid("outcome is not success, failure or denied");
  const target = event.target ?? {};
  const keys = Object.keys(target);
  if (keys.length > MAX_TARGET_KEYS) throw invalid(`more than ${MAX_TARGET_KEYS} target ids`);
  for (const key of keys) {
    if (!TARGET_KEY.test(key)) throw invalid("a target key is not a code");
    boundedText(target[key], MAX_TARGET_VALUE, `target ${key}`);
  }
  if (event.requestId !== undefined && !REQUEST_ID.test(event.requestId))
    throw invalid("requestId is not a request id");
  return {
    id: newEntryId(now),
    at: now.toISOString(),
    actor: boundedText(event.actor, 200, "actor"),
    action: event.action,
    outcome: event.outcome,
    target: canonicalJson(target),
    request_id: event.requestId ?? null,
    reason: event.reason === undefined ? null : boundedText(event.reason, 200, "reason"),
  };
}

/**
 * Appends entries and signs a checkpoint when the policy says so. The caller holds the append lock
 * (withAppendLock): the log's group commit and retention both come through here.
 */
export async function appendWithCheckpoint(
  db: Kysely<DB>,
  signer: AuditSigner,
  entries: readonly NewEntry[],
  now: Date,
  policy: CheckpointPolicy,
): Promise<{ head: ChainHead; checkpointed: boolean }> {
  const head = await appendEntries(db, await readHead(db), entries);
  const last = await latestSigned(db, "checkpoint");
  const due =
    !last || head.seq - last.seq >= policy.every || now.getTime() - Date.parse(last.at) >= policy.afterMs;
  if (!due || head.seq <= (last?.seq ?? 0)) return { head, checkpointed: false };
  await insertSigned(db, signer, "checkpoint", head, now);
  return { head, checkpointed: true };
}

export interface AuditLogDeps {
  database: Pick<Database, "db" | "kind">;
  clock: Clock;
  signer: AuditSigner;
  logger?: Pick<Logger, "error">;
}

export interface AuditLogOptions {
  checkpoint?: Partial<CheckpointPolicy>;
  maxBatch?: number;
  /**
   * Gathering window before a commit of an idle log, in ms (0: the next turn of the event loop). Unset:
   * one microtask, so only callers of the same tick share the first commit.
   */
  groupWindowMs?: number;
}

export interface AuditLogStats {
  /** Append transactions committed. */
  commits: number;
  entries: number;
  largestBatch: number;
  checkpoints: number;
}

export interface AuditLog extends AuditSink {
  /** Resolves once every event recorded so far is committed (or has failed). */
  flush(): Promise<void>;
  /** Signs the head now when entries follow the last checkpoint, so none are left unsigned. */
  seal(): Promise<void>;
  /** Flushes, seals, and refuses further events (AUDIT_LOG_CLOSED). */
  close(): Promise<void>;
  stats(): AuditLogStats;
}

interface Pending {
  entry: NewEntry;
  resolve(): void;
  reject(err: unknown): void;
}

/**
 * The hash-chained audit log with group commit: record() calls that arrive within the gathering window
 * (groupWindowMs; the runtime sink uses 2 ms) or while a commit is running are queued and written together
 * by the next transaction (one lock, one head read, one multi-row insert), so an audited request costs a
 * share of a commit rather than a whole one. record() resolves only once its
 * entry is committed; if the transaction fails, every event in it is rejected (nothing half-written).
 */
export function createAuditLog(deps: AuditLogDeps, options: AuditLogOptions = {}): AuditLog {
  const policy: CheckpointPolicy = { ...DEFAULT_CHECKPOINT_POLICY, ...options.checkpoint };
  const maxBatch = options.maxBatch ?? DEFAULT_MAX_BATCH;
  const windowMs = options.groupWindowMs;
  const stats: AuditLogStats = { commits: 0, entries: 0, largestBatch: 0, checkpoints: 0 };
  let queue: Pending[] = [];
  let draining: Promise<void> | null = null;
  let closed = false;
  /** Ends the gathering window early (flush and close do not wait it out). */
  let endWindow: (() => void) | null = null;

  function gatheringWindow(): Promise<void> {
    if (windowMs === undefined) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let cancel = (): void => undefined;
      const done = () => {
        cancel();
        endWindow = null;
        resolve();
      };
      if (windowMs > 0) {
        const timer = setTimeout(done, windowMs);
        cancel = () => clearTimeout(timer);
      } else {
        const immediate = setImmediate(done);
        cancel = () => clearImmediate(immediate);
      }
      endWindow = done;
    });
  }

  async function commit(batch: Pending[]): Promise<void> {
    try {
      const { checkpointed } = await withAppendLock(deps.database, (db) =>
        appendWithCheckpoint(
          db,
          deps.signer,
          batch.map((p) => p.entry),
          deps.clock.now(),
          policy,
        ),
      );
      stats.commits += 1;
      stats.entries += batch.length;
      stats.largestBatch = Math.max(stats.largestBatch, batch.length);
      if (checkpointed) stats.checkpoints += 1;
      for (const p of batch) p.resolve();
    } catch (err) {
      deps.logger?.error({ err, entries: batch.length }, "audit append failed");
      const failure = new AppError("AUDIT_APPEND_FAILED", undefined, { cause: err });
      for (const p of batch) p.reject(failure);
    }
  }

  async function drain(): Promise<void> {
    // Callers that arrive within the window join the first batch; while it commits, later ones queue
    // for the next. Entries keep their record() order: the queue is FIFO and batches commit one by one.
    await gatheringWindow();
    try {
      while (queue.length > 0) {
        const batch = queue.slice(0, maxBatch);
        queue = queue.slice(batch.length);
        await commit(batch);
      }
    } finally {
      draining = null;
    }
  }

  async function flush(): Promise<void> {
    while (draining) {
      endWindow?.();
      await draining;
    }
  }

  async function seal(): Promise<void> {
    await flush();
    const sealed = await withAppendLock(deps.database, async (db) => {
      const head = await readHead(db);
      const last = await latestSigned(db, "checkpoint");
      const anchor = await latestSigned(db, "anchor");
      const signedThrough = Math.max(last?.seq ?? 0, anchor?.seq ?? 0);
      if (head.seq <= signedThrough) return false;
      await insertSigned(db, deps.signer, "checkpoint", head, deps.clock.now());
      return true;
    });
    if (sealed) stats.checkpoints += 1;
  }

  return {
    record(event) {
      if (closed) return Promise.reject(new AppError("AUDIT_LOG_CLOSED"));
      let entry: NewEntry;
      try {
        // Services do not thread request ids; the request being served (if any) supplies it.
        const requestId = event.requestId ?? currentRequestId();
        entry = toNewEntry(requestId === undefined ? event : { ...event, requestId }, deps.clock.now());
      } catch (err) {
        return Promise.reject(isAppError(err) ? err : invalid("unreadable event"));
      }
      return new Promise<void>((resolve, reject) => {
        queue.push({ entry, resolve, reject });
        draining ??= drain();
      });
    },
    flush,
    seal,
    async close() {
      closed = true;
      await flush();
      try {
        await seal();
      } catch (err) {
        // The entries are committed; only the final signature is missing (the next process signs them).
        deps.logger?.error({ err }, "audit log: sealing on close failed");
      }
    },
    stats: () => ({ ...stats }),
  };
}

export interface DatabaseAuditSinkDeps {
  database: Pick<Database, "db" | "kind">;
  clock: Clock;
  master: Pick<MasterKey, "derive">;
  logger?: Pick<Logger, "error">;
}

/** The runtime's AuditSink: the hash-chained log in the data store, signing with the instance's key. */
export function createDatabaseAuditSink(
  deps: DatabaseAuditSinkDeps,
  options: AuditLogOptions = {},
): AuditLog {
  return createAuditLog(
    {
      database: deps.database,
      clock: deps.clock,
      signer: auditSigner(deps.master),
      ...(deps.logger ? { logger: deps.logger } : {}),
    },
    { groupWindowMs: DEFAULT_GROUP_WINDOW_MS, ...options },
  );
}
