import { type Kysely, sql } from "kysely";
import type { AuditSink } from "../audit/audit-sink.js";
import type { DB } from "../db/schema.js";
import { type Clock, MS } from "../platform/clock.js";
import { AppError } from "../platform/errors.js";

/** DPP: lock after 10 failed sign-in attempts. The cool-down lets a user back in without an admin. */
export const LOCKOUT_POLICY = {
  threshold: 10,
  coolDownMs: 30 * MS.minute,
} as const;

export type FailedFactor = "password" | "totp" | "recovery_code" | "passkey";

export interface LockState {
  locked: boolean;
  failures: number;
  lockedUntil: string | null;
}

export interface LockoutDeps {
  db: Kysely<DB>;
  clock: Clock;
  audit: AuditSink;
}

/**
 * Consecutive failures of any factor count toward one lock per user. Per-IP rate limits are the HTTP
 * layer's job; this one protects the user, wherever the attempts come from.
 */
export function createLockout(deps: LockoutDeps) {
  const { db, clock, audit } = deps;

  async function read(userId: string) {
    return db.selectFrom("login_failures").selectAll().where("user_id", "=", userId).executeTakeFirst();
  }

  async function state(userId: string): Promise<LockState> {
    const row = await read(userId);
    if (!row) return { locked: false, failures: 0, lockedUntil: null };
    const locked = row.locked_until !== null && Date.parse(row.locked_until) > clock.now().getTime();
    return { locked, failures: row.failures, lockedUntil: locked ? row.locked_until : null };
  }

  /** Refuses a locked user; a lock whose cool-down has passed is lifted here (and audited). */
  async function assertNotLocked(userId: string): Promise<void> {
    const row = await read(userId);
    if (!row || row.locked_until === null) return;
    if (Date.parse(row.locked_until) > clock.now().getTime()) {
      await audit.record({
        action: "auth.attempt",
        actor: userId,
        outcome: "denied",
        target: { user: userId },
        reason: "USER_LOCKED",
      });
      throw new AppError("USER_LOCKED", undefined, { details: { lockedUntil: row.locked_until } });
    }
    const lifted = await db
      .deleteFrom("login_failures")
      .where("user_id", "=", userId)
      .where("locked_until", "=", row.locked_until)
      .executeTakeFirst();
    if (lifted.numDeletedRows > 0n) {
      await audit.record({
        action: "auth.unlock",
        actor: "system",
        outcome: "success",
        target: { user: userId },
        reason: "cool_down_elapsed",
      });
    }
  }

  /** Counts one failure atomically (concurrent attempts cannot lose a count) and locks at the threshold. */
  async function recordFailure(userId: string, factor: FailedFactor): Promise<LockState> {
    const now = clock.now();
    const at = now.toISOString();
    const row = await db
      .insertInto("login_failures")
      .values({ user_id: userId, failures: 1, last_failure_at: at, locked_at: null, locked_until: null })
      .onConflict((oc) =>
        oc.column("user_id").doUpdateSet({
          failures: sql<number>`login_failures.failures + 1`,
          last_failure_at: at,
        }),
      )
      .returning(["failures", "locked_at"])
      .executeTakeFirstOrThrow();
    await audit.record({
      action: "auth.failure",
      actor: userId,
      outcome: "failure",
      target: { user: userId },
      reason: factor,
    });
    if (row.failures < LOCKOUT_POLICY.threshold || row.locked_at !== null) {
      return { locked: row.locked_at !== null, failures: row.failures, lockedUntil: null };
    }
    const until = new Date(now.getTime() + LOCKOUT_POLICY.coolDownMs).toISOString();
    const locked = await db
      .updateTable("login_failures")
      .set({ locked_at: at, locked_until: until })
      .where("user_id", "=", userId)
      .where("locked_at", "is", null)
      .executeTakeFirst();
    if (locked.numUpdatedRows > 0n) {
      await audit.record({
        action: "auth.lock",
        actor: "system",
        outcome: "success",
        target: { user: userId },
        reason: `${row.failures} consecutive failures`,
      });
    }
    return { locked: true, failures: row.failures, lockedUntil: until };
  }

  async function recordSuccess(userId: string): Promise<void> {
    await db.deleteFrom("login_failures").where("user_id", "=", userId).execute();
  }

  /** An admin lifts a lock before the cool-down ends. */
  async function unlock(userId: string, actor: string): Promise<void> {
    const current = await state(userId);
    if (!current.locked) {
      await audit.record({
        action: "auth.unlock",
        actor,
        outcome: "failure",
        target: { user: userId },
        reason: "USER_NOT_LOCKED",
      });
      throw new AppError("USER_NOT_LOCKED");
    }
    await db.deleteFrom("login_failures").where("user_id", "=", userId).execute();
    await audit.record({ action: "auth.unlock", actor, outcome: "success", target: { user: userId } });
  }

  return { state, assertNotLocked, recordFailure, recordSuccess, unlock };
}

export type Lockout = ReturnType<typeof createLockout>;
