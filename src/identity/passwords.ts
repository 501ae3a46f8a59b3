import { type Algorithm, hash, verify } from "@node-rs/argon2";
import type { Kysely } from "kysely";
import type { AuditSink } from "../audit/audit-sink.js";
import type { DB } from "../db/schema.js";
import type { Clock } from "../platform/clock.js";
import { AppError } from "../platform/errors.js";
import { newId } from "../platform/ids.js";
import { assertPasswordPolicy, PASSWORD_POLICY, type PasswordOwner } from "./password-policy.js";

/** OWASP's argon2id baseline (19 MiB, 2 passes, 1 lane). Argon2id is the library's value 2. */
export const ARGON2_OPTIONS = {
  algorithm: 2 as Algorithm,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

export async function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2_OPTIONS);
}

/** Constant-time comparison happens inside the library; a malformed stored hash counts as a mismatch. */
export async function verifyPasswordHash(stored: string, password: string): Promise<boolean> {
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}

let dummyHash: Promise<string> | undefined;
/** Spends the same work for unknown users, so timing does not tell which e-mail addresses exist. */
export async function burnPasswordCheck(password: string): Promise<void> {
  dummyHash ??= hashPassword("seller-pilot-dummy-password");
  await verifyPasswordHash(await dummyHash, password.slice(0, PASSWORD_POLICY.maxLength * 2));
}

export type PasswordChangeReason = "initial" | "change" | "admin_reset";
export type PasswordChangeRequired = "expired" | "reset" | null;

export interface PasswordCheck {
  ok: boolean;
  /** On success: whether the user must set a new password before doing anything else. */
  changeRequired: PasswordChangeRequired;
}

export interface PasswordsDeps {
  db: Kysely<DB>;
  clock: Clock;
  audit: AuditSink;
}

export async function readPasswordRow(db: Kysely<DB>, userId: string) {
  return db.selectFrom("user_passwords").selectAll().where("user_id", "=", userId).executeTakeFirst();
}

export function createPasswords(deps: PasswordsDeps) {
  const { db, clock, audit } = deps;

  async function refuse(
    userId: string,
    actor: string,
    code: AppError["code"],
    err?: AppError,
  ): Promise<never> {
    await audit.record({
      action: "password.set",
      actor,
      outcome: "denied",
      target: { user: userId },
      reason: code,
    });
    throw err ?? new AppError(code);
  }

  async function inHistory(userId: string, password: string): Promise<boolean> {
    const recent = await db
      .selectFrom("password_history")
      .select("hash")
      .where("user_id", "=", userId)
      .orderBy("created_at", "desc")
      .limit(PASSWORD_POLICY.historySize)
      .execute();
    for (const row of recent) {
      if (await verifyPasswordHash(row.hash, password)) return true;
    }
    return false;
  }

  /**
   * Sets a password after every rule: policy, history of 10 (the current one included), and for a user's
   * own change the minimum age (waived when an admin reset forces the change). An admin reset marks the
   * password as must-change.
   */
  async function set(
    userId: string,
    password: string,
    options: { owner: PasswordOwner; actor: string; reason: PasswordChangeReason },
  ): Promise<void> {
    const { owner, actor, reason } = options;
    try {
      assertPasswordPolicy(password, owner);
    } catch (err) {
      if (err instanceof AppError) await refuse(userId, actor, err.code, err);
      throw err;
    }
    const now = clock.now();
    const current = await readPasswordRow(db, userId);
    if (reason === "change" && current && current.must_change === 0) {
      const age = now.getTime() - Date.parse(current.changed_at);
      if (age < PASSWORD_POLICY.minAgeMs) await refuse(userId, actor, "PASSWORD_TOO_RECENT");
    }
    if (await inHistory(userId, password)) await refuse(userId, actor, "PASSWORD_REUSED");
    const hashed = await hashPassword(password);
    const at = now.toISOString();
    const mustChange = reason === "admin_reset" ? 1 : 0;
    await db.transaction().execute(async (tx) => {
      await tx
        .insertInto("user_passwords")
        .values({ user_id: userId, hash: hashed, changed_at: at, must_change: mustChange })
        .onConflict((oc) =>
          oc.column("user_id").doUpdateSet({ hash: hashed, changed_at: at, must_change: mustChange }),
        )
        .execute();
      await tx
        .insertInto("password_history")
        .values({ id: newId(), user_id: userId, hash: hashed, created_at: at })
        .execute();
      const stale = await tx
        .selectFrom("password_history")
        .select("id")
        .where("user_id", "=", userId)
        .orderBy("created_at", "desc")
        .offset(PASSWORD_POLICY.historySize)
        .limit(1_000)
        .execute();
      if (stale.length > 0) {
        await tx
          .deleteFrom("password_history")
          .where(
            "id",
            "in",
            stale.map((r) => r.id),
          )
          .execute();
      }
    });
    await audit.record({
      action: "password.set",
      actor,
      outcome: "success",
      target: { user: userId },
      reason,
    });
  }

  /** Checks a password; lockout and auditing of failures are the caller's (see credentials-service). */
  async function check(userId: string, password: string): Promise<PasswordCheck> {
    const row = await readPasswordRow(db, userId);
    if (!row || typeof password !== "string" || password.length > PASSWORD_POLICY.maxLength * 2) {
      await burnPasswordCheck(typeof password === "string" ? password : "");
      return { ok: false, changeRequired: null };
    }
    if (!(await verifyPasswordHash(row.hash, password))) return { ok: false, changeRequired: null };
    let changeRequired: PasswordChangeRequired = null;
    if (row.must_change === 1) changeRequired = "reset";
    else if (clock.now().getTime() - Date.parse(row.changed_at) >= PASSWORD_POLICY.maxAgeMs) {
      changeRequired = "expired";
    }
    return { ok: true, changeRequired };
  }

  async function hasPassword(userId: string): Promise<boolean> {
    return (await readPasswordRow(db, userId)) !== undefined;
  }

  return { set, check, hasPassword };
}

export type Passwords = ReturnType<typeof createPasswords>;
