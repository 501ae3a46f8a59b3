import type { Kysely } from "kysely";

// Credentials are keyed by user_id without a foreign key: the users table belongs to another migration,
// and offboarding revokes credentials explicitly (revokeAllForUser) rather than by cascade.
// biome-ignore lint/suspicious/noExplicitAny: migrations describe the schema as it was, not as it is
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("user_passwords")
    .addColumn("user_id", "varchar(64)", (col) => col.primaryKey())
    .addColumn("hash", "text", (col) => col.notNull())
    .addColumn("changed_at", "varchar(32)", (col) => col.notNull())
    .addColumn("must_change", "integer", (col) => col.notNull())
    .execute();
  await db.schema
    .createTable("password_history")
    .addColumn("id", "varchar(64)", (col) => col.primaryKey())
    .addColumn("user_id", "varchar(64)", (col) => col.notNull())
    .addColumn("hash", "text", (col) => col.notNull())
    .addColumn("created_at", "varchar(32)", (col) => col.notNull())
    .execute();
  await db.schema
    .createIndex("password_history_user")
    .on("password_history")
    .columns(["user_id", "created_at"])
    .execute();
  await db.schema
    .createTable("mfa_totp")
    .addColumn("user_id", "varchar(64)", (col) => col.primaryKey())
    // Always the instance account: lets data-key rotation of that account find and re-seal the secrets.
    .addColumn("account_id", "varchar(64)", (col) => col.notNull())
    // Sealed (sp1:...) under the instance data key, bound to (mfa_totp, secret, user_id).
    .addColumn("secret", "text", (col) => col.notNull())
    .addColumn("confirmed", "integer", (col) => col.notNull())
    .addColumn("created_at", "varchar(32)", (col) => col.notNull())
    .addColumn("confirmed_at", "varchar(32)")
    // The last accepted 30-second time step: a code for this step or an earlier one is a replay.
    .addColumn("last_used_step", "bigint")
    .execute();
  await db.schema
    .createTable("recovery_codes")
    .addColumn("id", "varchar(64)", (col) => col.primaryKey())
    .addColumn("user_id", "varchar(64)", (col) => col.notNull())
    .addColumn("code_hash", "varchar(64)", (col) => col.notNull().unique())
    .addColumn("created_at", "varchar(32)", (col) => col.notNull())
    .addColumn("used_at", "varchar(32)")
    .execute();
  await db.schema.createIndex("recovery_codes_user").on("recovery_codes").column("user_id").execute();
  await db.schema
    .createTable("passkey_credentials")
    .addColumn("id", "varchar(1400)", (col) => col.primaryKey())
    .addColumn("user_id", "varchar(64)", (col) => col.notNull())
    .addColumn("public_key", "text", (col) => col.notNull())
    .addColumn("counter", "bigint", (col) => col.notNull())
    .addColumn("transports", "text", (col) => col.notNull())
    .addColumn("device_type", "varchar(32)", (col) => col.notNull())
    .addColumn("backed_up", "integer", (col) => col.notNull())
    .addColumn("created_at", "varchar(32)", (col) => col.notNull())
    .addColumn("last_used_at", "varchar(32)")
    .execute();
  await db.schema
    .createIndex("passkey_credentials_user")
    .on("passkey_credentials")
    .column("user_id")
    .execute();
  await db.schema
    .createTable("webauthn_challenges")
    .addColumn("challenge", "varchar(128)", (col) => col.primaryKey())
    .addColumn("user_id", "varchar(64)", (col) => col.notNull())
    .addColumn("kind", "varchar(16)", (col) => col.notNull())
    .addColumn("expires_at", "varchar(32)", (col) => col.notNull())
    .execute();
  await db.schema
    .createTable("login_failures")
    .addColumn("user_id", "varchar(64)", (col) => col.primaryKey())
    .addColumn("failures", "integer", (col) => col.notNull())
    .addColumn("last_failure_at", "varchar(32)", (col) => col.notNull())
    .addColumn("locked_at", "varchar(32)")
    .addColumn("locked_until", "varchar(32)")
    .execute();
  await db.schema
    .createTable("sessions")
    .addColumn("id", "varchar(64)", (col) => col.primaryKey())
    // SHA-256 (hex) of the opaque token; the token itself is never stored.
    .addColumn("token_hash", "varchar(64)", (col) => col.notNull().unique())
    .addColumn("user_id", "varchar(64)", (col) => col.notNull())
    .addColumn("state", "varchar(16)", (col) => col.notNull())
    .addColumn("created_at", "varchar(32)", (col) => col.notNull())
    .addColumn("last_seen_at", "varchar(32)", (col) => col.notNull())
    .addColumn("absolute_expires_at", "varchar(32)", (col) => col.notNull())
    .addColumn("mfa_verified_at", "varchar(32)")
    .execute();
  await db.schema.createIndex("sessions_user").on("sessions").column("user_id").execute();
  await db.schema
    .createTable("api_tokens")
    .addColumn("id", "varchar(64)", (col) => col.primaryKey())
    .addColumn("token_hash", "varchar(64)", (col) => col.notNull().unique())
    .addColumn("user_id", "varchar(64)", (col) => col.notNull())
    .addColumn("name", "varchar(100)", (col) => col.notNull())
    // JSON: {"accounts": [...], "permissions": [...]}
    .addColumn("scopes", "text", (col) => col.notNull())
    .addColumn("created_at", "varchar(32)", (col) => col.notNull())
    .addColumn("created_by_session", "varchar(64)", (col) => col.notNull())
    .addColumn("expires_at", "varchar(32)", (col) => col.notNull())
    .addColumn("revoked_at", "varchar(32)")
    .addColumn("last_used_at", "varchar(32)")
    .execute();
  await db.schema.createIndex("api_tokens_user").on("api_tokens").column("user_id").execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see above
export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    "api_tokens",
    "sessions",
    "login_failures",
    "webauthn_challenges",
    "passkey_credentials",
    "recovery_codes",
    "mfa_totp",
    "password_history",
    "user_passwords",
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
