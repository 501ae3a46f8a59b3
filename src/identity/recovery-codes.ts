import { createHash, randomInt } from "node:crypto";
import type { Kysely } from "kysely";
import type { AuditSink } from "../audit/audit-sink.js";
import type { DB } from "../db/schema.js";
import type { Clock } from "../platform/clock.js";
import { AppError } from "../platform/errors.js";
import { newId } from "../platform/ids.js";

/**
 * 16 characters from a 32-symbol alphabet: 80 random bits per code. At that entropy a fast, unsalted
 * SHA-256 is safe storage: nobody can enumerate 2^80 candidates, so the slow, salted hash passwords need
 * (against guessable human choices) buys nothing, and a hash lookup keeps single use atomic.
 */
export const RECOVERY_POLICY = { count: 10, length: 16, groupSize: 4 } as const;

// Crockford-style: no I, L, O, U, so codes read aloud or typed from paper are not ambiguous.
const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
const SHAPE = /^[0-9a-z]{16}$/;

function generateCode(): string {
  let raw = "";
  for (let i = 0; i < RECOVERY_POLICY.length; i += 1) raw += ALPHABET[randomInt(ALPHABET.length)];
  return raw.match(new RegExp(`.{${RECOVERY_POLICY.groupSize}}`, "g"))?.join("-") ?? raw;
}

/** Case, spaces and dashes do not matter; look-alike letters map to their digit. */
export function normalizeRecoveryCode(input: string): string | null {
  if (typeof input !== "string" || input.length > 64) return null;
  const compact = input
    .toLowerCase()
    .replace(/[\s-]/g, "")
    .replace(/[ilo]/g, (c) => (c === "o" ? "0" : "1"));
  return SHAPE.test(compact) && [...compact].every((c) => ALPHABET.includes(c)) ? compact : null;
}

export function hashRecoveryCode(normalized: string): string {
  return createHash("sha256").update(`seller-pilot:recovery:${normalized}`, "utf8").digest("hex");
}

export interface RecoveryCodesDeps {
  db: Kysely<DB>;
  clock: Clock;
  audit: AuditSink;
}

export function createRecoveryCodes(deps: RecoveryCodesDeps) {
  const { db, clock, audit } = deps;

  /** Replaces every code of the user with 10 new ones, returned this once and never again. */
  async function regenerate(userId: string, actor: string): Promise<string[]> {
    const codes = Array.from({ length: RECOVERY_POLICY.count }, generateCode);
    const at = clock.now().toISOString();
    await db.transaction().execute(async (tx) => {
      await tx.deleteFrom("recovery_codes").where("user_id", "=", userId).execute();
      await tx
        .insertInto("recovery_codes")
        .values(
          codes.map((code) => ({
            id: newId(),
            user_id: userId,
            code_hash: hashRecoveryCode(normalizeRecoveryCode(code) ?? ""),
            created_at: at,
            used_at: null,
          })),
        )
        .execute();
    });
    await audit.record({
      action: "mfa.recovery_codes.regenerate",
      actor,
      outcome: "success",
      target: { user: userId },
    });
    return codes;
  }

  /** Spends one code. The conditional UPDATE makes single use hold under concurrent attempts. */
  async function use(userId: string, input: string): Promise<{ remaining: number }> {
    const normalized = normalizeRecoveryCode(input);
    const spent =
      normalized === null
        ? { numUpdatedRows: 0n }
        : await db
            .updateTable("recovery_codes")
            .set({ used_at: clock.now().toISOString() })
            .where("user_id", "=", userId)
            .where("code_hash", "=", hashRecoveryCode(normalized))
            .where("used_at", "is", null)
            .executeTakeFirst();
    if (spent.numUpdatedRows === 0n) {
      await audit.record({
        action: "mfa.recovery_code.use",
        actor: userId,
        outcome: "failure",
        target: { user: userId },
        reason: "RECOVERY_CODE_INVALID",
      });
      throw new AppError("RECOVERY_CODE_INVALID");
    }
    const left = await remaining(userId);
    await audit.record({
      action: "mfa.recovery_code.use",
      actor: userId,
      outcome: "success",
      target: { user: userId, remaining: String(left) },
    });
    return { remaining: left };
  }

  async function remaining(userId: string): Promise<number> {
    const row = await db
      .selectFrom("recovery_codes")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("user_id", "=", userId)
      .where("used_at", "is", null)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  return { regenerate, use, remaining };
}

export type RecoveryCodes = ReturnType<typeof createRecoveryCodes>;
