import { randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import { Secret, TOTP } from "otpauth";
import QRCode from "qrcode";
import type { AuditSink } from "../audit/audit-sink.js";
import type { FieldCipher, FieldRef } from "../crypto/field-cipher.js";
import type { DB } from "../db/schema.js";
import type { Clock } from "../platform/clock.js";
import { AppError } from "../platform/errors.js";
import { INSTANCE_ACCOUNT } from "../secrets/secrets-store.js";

/** RFC 6238 defaults every authenticator app understands; ±1 step absorbs clock drift between phone and server. */
export const TOTP_POLICY = {
  period: 30,
  digits: 6,
  window: 1,
  secretBytes: 20,
  algorithm: "SHA1",
} as const;

const CODE = /^[0-9]{6}$/;

export interface TotpEnrollment {
  /** otpauth:// URI with the secret: shown once, for the QR code or manual entry. */
  uri: string;
  /** The same URI as an SVG QR code. */
  qrSvg: string;
  /** The SVG as a data: URL for an <img>. */
  qrDataUrl: string;
}

export interface TotpDeps {
  db: Kysely<DB>;
  clock: Clock;
  audit: AuditSink;
  fields: Pick<FieldCipher, "seal" | "open">;
  /** Shown in the authenticator app next to the account name. */
  issuer: string;
}

/** The secret is bound to its row: copied to another user's row, it does not open. */
export function totpSecretRef(userId: string): FieldRef {
  return { accountId: INSTANCE_ACCOUNT, table: "mfa_totp", column: "secret", rowId: userId };
}

export function createTotp(deps: TotpDeps) {
  const { db, clock, audit, fields, issuer } = deps;

  function totpOf(secretBase32: string, label: string): TOTP {
    return new TOTP({
      issuer,
      label,
      algorithm: TOTP_POLICY.algorithm,
      digits: TOTP_POLICY.digits,
      period: TOTP_POLICY.period,
      secret: Secret.fromBase32(secretBase32),
    });
  }

  async function read(userId: string) {
    return db.selectFrom("mfa_totp").selectAll().where("user_id", "=", userId).executeTakeFirst();
  }

  /** Starts (or restarts) an unconfirmed enrollment; a confirmed one must be removed first. */
  async function enroll(userId: string, accountName: string): Promise<TotpEnrollment> {
    const existing = await read(userId);
    if (existing?.confirmed === 1) throw new AppError("TOTP_ALREADY_ENROLLED");
    const secret = new Secret({ buffer: new Uint8Array(randomBytes(TOTP_POLICY.secretBytes)).buffer }).base32;
    const sealed = await fields.seal(totpSecretRef(userId), secret);
    const at = clock.now().toISOString();
    await db
      .insertInto("mfa_totp")
      .values({
        user_id: userId,
        account_id: INSTANCE_ACCOUNT,
        secret: sealed,
        confirmed: 0,
        created_at: at,
        confirmed_at: null,
        last_used_step: null,
      })
      .onConflict((oc) =>
        oc.column("user_id").doUpdateSet({
          secret: sealed,
          confirmed: 0,
          created_at: at,
          confirmed_at: null,
          last_used_step: null,
        }),
      )
      .execute();
    const uri = totpOf(secret, accountName).toString();
    const qrSvg = await QRCode.toString(uri, { type: "svg", errorCorrectionLevel: "M", margin: 2 });
    await audit.record({
      action: "mfa.totp.enroll",
      actor: userId,
      outcome: "success",
      target: { user: userId },
    });
    return { uri, qrSvg, qrDataUrl: `data:image/svg+xml;base64,${Buffer.from(qrSvg).toString("base64")}` };
  }

  /**
   * Accepts a code once: its time step must be newer than the last accepted one. The step is claimed with a
   * conditional UPDATE, so two concurrent requests with the same code cannot both succeed.
   */
  async function accept(userId: string, sealed: string, code: string, action: string): Promise<void> {
    const fail = async (reason: "TOTP_CODE_INVALID" | "TOTP_CODE_REPLAYED"): Promise<never> => {
      await audit.record({ action, actor: userId, outcome: "failure", target: { user: userId }, reason });
      throw new AppError(reason);
    };
    if (typeof code !== "string" || !CODE.test(code)) return fail("TOTP_CODE_INVALID");
    const secret = await fields.open(totpSecretRef(userId), sealed);
    const timestamp = clock.now().getTime();
    const delta = TOTP.validate({
      token: code,
      secret: Secret.fromBase32(secret),
      algorithm: TOTP_POLICY.algorithm,
      digits: TOTP_POLICY.digits,
      period: TOTP_POLICY.period,
      timestamp,
      window: TOTP_POLICY.window,
    });
    if (delta === null) return fail("TOTP_CODE_INVALID");
    const step = TOTP.counter({ period: TOTP_POLICY.period, timestamp }) + delta;
    const claimed = await db
      .updateTable("mfa_totp")
      .set({ last_used_step: step })
      .where("user_id", "=", userId)
      .where((eb) => eb.or([eb("last_used_step", "is", null), eb("last_used_step", "<", step)]))
      .executeTakeFirst();
    if (claimed.numUpdatedRows === 0n) return fail("TOTP_CODE_REPLAYED");
  }

  /** Completes enrollment: proves the app holds the secret. */
  async function confirm(userId: string, code: string): Promise<void> {
    const row = await read(userId);
    if (!row) throw new AppError("TOTP_NOT_ENROLLED");
    if (row.confirmed === 1) throw new AppError("TOTP_ALREADY_ENROLLED");
    await accept(userId, row.secret, code, "mfa.totp.confirm");
    await db
      .updateTable("mfa_totp")
      .set({ confirmed: 1, confirmed_at: clock.now().toISOString() })
      .where("user_id", "=", userId)
      .execute();
    await audit.record({
      action: "mfa.totp.confirm",
      actor: userId,
      outcome: "success",
      target: { user: userId },
    });
  }

  /** A second-factor check at sign-in. */
  async function verify(userId: string, code: string): Promise<void> {
    const row = await read(userId);
    if (row?.confirmed !== 1) {
      await audit.record({
        action: "mfa.totp.verify",
        actor: userId,
        outcome: "failure",
        target: { user: userId },
        reason: "TOTP_NOT_ENROLLED",
      });
      throw new AppError("TOTP_NOT_ENROLLED");
    }
    await accept(userId, row.secret, code, "mfa.totp.verify");
    await audit.record({
      action: "mfa.totp.verify",
      actor: userId,
      outcome: "success",
      target: { user: userId },
    });
  }

  async function isEnrolled(userId: string): Promise<boolean> {
    return (await read(userId))?.confirmed === 1;
  }

  async function remove(userId: string, actor: string): Promise<void> {
    const removed = await db.deleteFrom("mfa_totp").where("user_id", "=", userId).executeTakeFirst();
    if (removed.numDeletedRows === 0n) throw new AppError("TOTP_NOT_ENROLLED");
    await audit.record({ action: "mfa.totp.remove", actor, outcome: "success", target: { user: userId } });
  }

  return { enroll, confirm, verify, isEnrolled, remove };
}

export type Totp = ReturnType<typeof createTotp>;
