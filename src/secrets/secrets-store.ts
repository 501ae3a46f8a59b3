import type { Kysely } from "kysely";
import type { AuditSink } from "../audit/audit-sink.js";
import { gcmDecrypt, gcmEncrypt, packBox, unpackBox } from "../crypto/aes-gcm.js";
import type { FieldCipher } from "../crypto/field-cipher.js";
import type { Clock } from "../platform/clock.js";
import { AppError } from "../platform/errors.js";
import type { SecretState, SecretsTable, VaultDB } from "./vault-schema.js";

export const INSTANCE_ACCOUNT = "instance";
const NAME = /^[a-z0-9][a-z0-9._:-]{0,199}$/;
const MAX_SECRET_BYTES = 16 * 1024;

export interface SecretVersionInfo {
  version: number;
  state: SecretState;
  createdAt: string;
  createdBy: string;
  promotedAt: string | null;
  lastUsedAt: string | null;
  lastUsedBy: string | null;
}

export interface SecretMetadata {
  name: string;
  accountId: string;
  versions: SecretVersionInfo[];
}

export interface SecretsStoreDeps {
  vault: Kysely<VaultDB>;
  fields: Pick<FieldCipher, "seal" | "open">;
  /** The vault's own sub-key: an outer layer, so even the vault's tables in PostgreSQL show only ciphertext. */
  outerKey: Buffer;
  clock: Clock;
  audit: AuditSink;
}

function checkName(name: string): void {
  if (!NAME.test(name))
    throw new AppError(
      "VALIDATION_FAILED",
      "Secret names are lowercase [a-z0-9._:-], at most 200 characters.",
    );
}

/** Versions and usage of a secret, never its value (also used by `doctor`, which holds no field keys). */
export async function readSecretMetadata(
  vault: Kysely<VaultDB>,
  name: string,
): Promise<SecretMetadata | null> {
  const rows = await vault
    .selectFrom("vault_secrets")
    .select([
      "name",
      "version",
      "state",
      "account_id",
      "created_at",
      "created_by",
      "promoted_at",
      "last_used_at",
      "last_used_by",
    ])
    .where("name", "=", name)
    .orderBy("version")
    .execute();
  const first = rows[0];
  if (!first) return null;
  return {
    name,
    accountId: first.account_id,
    versions: rows.map((r) => ({
      version: r.version,
      state: r.state,
      createdAt: r.created_at,
      createdBy: r.created_by,
      promotedAt: r.promoted_at,
      lastUsedAt: r.last_used_at,
      lastUsedBy: r.last_used_by,
    })),
  };
}

/**
 * The only home of LWA refresh tokens and the LWA client secret. Values are sealed twice: under the
 * owning account's data key (so deleting the account shreds them) and under the vault key. Every read and
 * write is audited; values never appear in an event, a log line or an error.
 */
export function createSecretsStore(deps: SecretsStoreDeps) {
  const { vault, fields, outerKey, clock, audit } = deps;

  const outerAad = (name: string, version: number) =>
    Buffer.from(`seller-pilot:secret:${name}#${version}`, "utf8");
  const ref = (accountId: string, name: string, version: number) => ({
    accountId,
    table: "vault_secrets",
    column: "value",
    rowId: `${name}#${version}`,
  });

  async function sealValue(accountId: string, name: string, version: number, value: string): Promise<string> {
    if (Buffer.byteLength(value) > MAX_SECRET_BYTES)
      throw new AppError("VALIDATION_FAILED", "Secret values are limited to 16 KiB.");
    const inner = await fields.seal(ref(accountId, name, version), value);
    return `ss1:${packBox(gcmEncrypt(outerKey, Buffer.from(inner, "utf8"), outerAad(name, version))).toString("base64url")}`;
  }

  async function openValue(row: SecretsTable): Promise<string> {
    if (!row.value.startsWith("ss1:")) throw new AppError("CIPHERTEXT_MALFORMED");
    const inner = gcmDecrypt(
      outerKey,
      unpackBox(Buffer.from(row.value.slice(4), "base64url")),
      outerAad(row.name, row.version),
    );
    return fields.open(ref(row.account_id, row.name, row.version), inner.toString("utf8"));
  }

  async function nextVersion(name: string): Promise<number> {
    const top = await vault
      .selectFrom("vault_secrets")
      .select((eb) => eb.fn.max("version").as("max"))
      .where("name", "=", name)
      .executeTakeFirst();
    return Number(top?.max ?? 0) + 1;
  }

  async function ownerOf(name: string): Promise<string | null> {
    const row = await vault
      .selectFrom("vault_secrets")
      .select("account_id")
      .where("name", "=", name)
      .executeTakeFirst();
    return row?.account_id ?? null;
  }

  async function insert(name: string, accountId: string, state: SecretState, value: string, actor: string) {
    const version = await nextVersion(name);
    const now = clock.now().toISOString();
    await vault
      .insertInto("vault_secrets")
      .values({
        name,
        version,
        state,
        account_id: accountId,
        value: await sealValue(accountId, name, version, value),
        created_at: now,
        created_by: actor,
        promoted_at: state === "current" ? now : null,
        last_used_at: null,
        last_used_by: null,
      })
      .execute();
    return version;
  }

  /** Stores a value as the current version (the old current becomes previous; older ones are dropped). */
  async function put(
    name: string,
    value: string,
    opts: { accountId: string; actor: string },
  ): Promise<number> {
    checkName(name);
    const owner = await ownerOf(name);
    if (owner !== null && owner !== opts.accountId)
      throw new AppError("VALIDATION_FAILED", "A secret keeps its owning account.");
    await vault
      .deleteFrom("vault_secrets")
      .where("name", "=", name)
      .where("state", "=", "previous")
      .execute();
    await vault
      .updateTable("vault_secrets")
      .set({ state: "previous" })
      .where("name", "=", name)
      .where("state", "=", "current")
      .execute();
    const version = await insert(name, opts.accountId, "current", value, opts.actor);
    await audit.record({
      action: "secret.write",
      actor: opts.actor,
      outcome: "success",
      target: { secret: name, version: String(version) },
    });
    return version;
  }

  async function read(name: string, state: SecretState, component: string): Promise<string | null> {
    checkName(name);
    const row = await vault
      .selectFrom("vault_secrets")
      .selectAll()
      .where("name", "=", name)
      .where("state", "=", state)
      .executeTakeFirst();
    if (!row) return null;
    try {
      const value = await openValue(row);
      await vault
        .updateTable("vault_secrets")
        .set({ last_used_at: clock.now().toISOString(), last_used_by: component })
        .where("name", "=", name)
        .where("version", "=", row.version)
        .execute();
      await audit.record({
        action: "secret.read",
        actor: component,
        outcome: "success",
        target: { secret: name, version: String(row.version), state },
      });
      return value;
    } catch (err) {
      await audit.record({
        action: "secret.read",
        actor: component,
        outcome: "failure",
        target: { secret: name, state },
        reason: err instanceof AppError ? err.code : "INTERNAL",
      });
      throw err;
    }
  }

  /** The current value; `component` names the caller in metadata and the audit trail. */
  async function get(name: string, opts: { component: string }): Promise<string> {
    const value = await read(name, "current", opts.component);
    if (value === null) {
      await audit.record({
        action: "secret.read",
        actor: opts.component,
        outcome: "failure",
        target: { secret: name },
        reason: "SECRET_NOT_FOUND",
      });
      throw new AppError("SECRET_NOT_FOUND");
    }
    return value;
  }

  async function getStaged(
    name: string,
    state: "pending" | "previous",
    opts: { component: string },
  ): Promise<string | null> {
    return read(name, state, opts.component);
  }

  /** Stages a new value as pending (replacing an earlier pending one) so it can be verified before use. */
  async function stage(
    name: string,
    value: string,
    opts: { accountId: string; actor: string },
  ): Promise<number> {
    checkName(name);
    const owner = await ownerOf(name);
    if (owner !== null && owner !== opts.accountId)
      throw new AppError("VALIDATION_FAILED", "A secret keeps its owning account.");
    await vault.deleteFrom("vault_secrets").where("name", "=", name).where("state", "=", "pending").execute();
    const version = await insert(name, opts.accountId, "pending", value, opts.actor);
    await audit.record({
      action: "secret.stage",
      actor: opts.actor,
      outcome: "success",
      target: { secret: name, version: String(version) },
    });
    return version;
  }

  /** pending -> current, current -> previous (kept until retirePrevious, so a bad secret can be rolled back). */
  async function promote(
    name: string,
    opts: { actor: string },
  ): Promise<{ current: number; previous: number | null }> {
    checkName(name);
    const result = await vault.transaction().execute(async (trx) => {
      const pending = await trx
        .selectFrom("vault_secrets")
        .select("version")
        .where("name", "=", name)
        .where("state", "=", "pending")
        .executeTakeFirst();
      if (!pending) throw new AppError("SECRET_NO_PENDING");
      const current = await trx
        .selectFrom("vault_secrets")
        .select("version")
        .where("name", "=", name)
        .where("state", "=", "current")
        .executeTakeFirst();
      await trx
        .deleteFrom("vault_secrets")
        .where("name", "=", name)
        .where("state", "=", "previous")
        .execute();
      if (current) {
        await trx
          .updateTable("vault_secrets")
          .set({ state: "previous" })
          .where("name", "=", name)
          .where("version", "=", current.version)
          .execute();
      }
      await trx
        .updateTable("vault_secrets")
        .set({ state: "current", promoted_at: clock.now().toISOString() })
        .where("name", "=", name)
        .where("version", "=", pending.version)
        .execute();
      return { current: pending.version, previous: current?.version ?? null };
    });
    await audit.record({
      action: "secret.promote",
      actor: opts.actor,
      outcome: "success",
      target: { secret: name, version: String(result.current) },
    });
    return result;
  }

  async function retirePrevious(name: string, opts: { actor: string }): Promise<number> {
    checkName(name);
    const deleted = await vault
      .deleteFrom("vault_secrets")
      .where("name", "=", name)
      .where("state", "=", "previous")
      .executeTakeFirst();
    const count = Number(deleted.numDeletedRows);
    if (count > 0)
      await audit.record({
        action: "secret.retire",
        actor: opts.actor,
        outcome: "success",
        target: { secret: name },
      });
    return count;
  }

  async function remove(name: string, opts: { actor: string }): Promise<number> {
    checkName(name);
    const deleted = await vault.deleteFrom("vault_secrets").where("name", "=", name).executeTakeFirst();
    await audit.record({
      action: "secret.delete",
      actor: opts.actor,
      outcome: "success",
      target: { secret: name },
    });
    return Number(deleted.numDeletedRows);
  }

  async function removeForAccount(accountId: string, opts: { actor: string }): Promise<number> {
    const deleted = await vault
      .deleteFrom("vault_secrets")
      .where("account_id", "=", accountId)
      .executeTakeFirst();
    await audit.record({
      action: "secret.delete_account",
      actor: opts.actor,
      outcome: "success",
      target: { account: accountId },
    });
    return Number(deleted.numDeletedRows);
  }

  /** Re-seals every secret of an account under its current data key (data-key rotation). */
  async function resealForAccount(accountId: string, opts: { actor: string }): Promise<number> {
    const rows = await vault
      .selectFrom("vault_secrets")
      .selectAll()
      .where("account_id", "=", accountId)
      .execute();
    for (const row of rows) {
      const value = await openValue(row);
      await vault
        .updateTable("vault_secrets")
        .set({ value: await sealValue(accountId, row.name, row.version, value) })
        .where("name", "=", row.name)
        .where("version", "=", row.version)
        .execute();
    }
    if (rows.length > 0) {
      await audit.record({
        action: "secret.reseal",
        actor: opts.actor,
        outcome: "success",
        target: { account: accountId },
      });
    }
    return rows.length;
  }

  async function metadata(name: string): Promise<SecretMetadata | null> {
    checkName(name);
    return readSecretMetadata(vault, name);
  }

  async function names(): Promise<string[]> {
    const rows = await vault.selectFrom("vault_secrets").select("name").distinct().orderBy("name").execute();
    return rows.map((r) => r.name);
  }

  return {
    put,
    get,
    getStaged,
    stage,
    promote,
    retirePrevious,
    remove,
    removeForAccount,
    resealForAccount,
    metadata,
    names,
  };
}

export type SecretsStore = ReturnType<typeof createSecretsStore>;
