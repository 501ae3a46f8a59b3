import type { Kysely } from "kysely";
import type { DB, UserStatus } from "../db/schema.js";
import { AppError } from "../platform/errors.js";
import { newId } from "../platform/ids.js";

export interface User {
  id: string;
  organisationId: string | null;
  /** Personal data: never logged, never in audit entries (those carry the id). */
  email: string;
  displayName: string;
  status: UserStatus;
  isInstanceAdmin: boolean;
  createdAt: string;
  disabledAt: string | null;
}

export interface NewUser {
  organisationId: string | null;
  email: string;
  displayName: string;
  isInstanceAdmin?: boolean;
}

const MAX_EMAIL = 320;
const MAX_NAME = 200;

/** Trimmed and lower-cased: the unique index then holds one identity per address whatever its spelling. */
export function normalizeEmail(raw: string): string {
  const email = raw.trim().toLowerCase();
  const at = email.lastIndexOf("@");
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  if (
    email.length > MAX_EMAIL ||
    at < 1 ||
    local.includes("@") ||
    !/^[^\s@]+$/.test(local) ||
    !/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(domain)
  ) {
    throw new AppError("EMAIL_INVALID");
  }
  return email;
}

/**
 * The DPP forbids shared and generic users. Whether an address reaches one person cannot be known from
 * its text, so this is a heuristic: it refuses the local parts that by convention name a function or a
 * mailbox rather than a person (info@, admin@, team@ ...). A shared mailbox with a person-like name gets
 * through; the quarterly access review is the control that catches it.
 */
const GENERIC_LOCAL_PARTS: ReadonlySet<string> = new Set([
  "admin",
  "administrator",
  "info",
  "shared",
  "team",
  "office",
  "support",
  "sales",
  "contact",
  "hello",
  "help",
  "noreply",
  "no-reply",
  "ops",
  "operations",
  "billing",
  "accounts",
  "accounting",
  "finance",
  "orders",
  "shipping",
  "warehouse",
  "service",
  "customerservice",
  "webmaster",
  "postmaster",
  "root",
  "all",
  "staff",
]);

export function isGenericAddress(normalizedEmail: string): boolean {
  const local = normalizedEmail.slice(0, normalizedEmail.lastIndexOf("@"));
  const base = local.split("+")[0] ?? local;
  return GENERIC_LOCAL_PARTS.has(base);
}

function toUser(r: DB["users"]): User {
  return {
    id: r.id,
    organisationId: r.organisation_id,
    email: r.email,
    displayName: r.display_name,
    status: r.status,
    isInstanceAdmin: Number(r.is_instance_admin) === 1,
    createdAt: r.created_at,
    disabledAt: r.disabled_at,
  };
}

export async function createUser(db: Kysely<DB>, input: NewUser, now: Date): Promise<User> {
  const email = normalizeEmail(input.email);
  if (isGenericAddress(email)) throw new AppError("EMAIL_GENERIC");
  const displayName = input.displayName.trim();
  if (displayName.length === 0 || displayName.length > MAX_NAME) {
    throw new AppError("VALIDATION_FAILED", undefined, { details: { field: "displayName", max: MAX_NAME } });
  }
  if (await findUserByEmail(db, email)) throw new AppError("EMAIL_TAKEN");
  const row: DB["users"] = {
    id: newId(),
    organisation_id: input.organisationId,
    email,
    display_name: displayName,
    status: "active",
    is_instance_admin: input.isInstanceAdmin ? 1 : 0,
    created_at: now.toISOString(),
    disabled_at: null,
  };
  try {
    await db.insertInto("users").values(row).execute();
  } catch (err) {
    // A concurrent insert of the same address lost the race to the unique index.
    if (await findUserByEmail(db, email)) throw new AppError("EMAIL_TAKEN", undefined, { cause: err });
    throw err;
  }
  return toUser(row);
}

export async function findUser(db: Kysely<DB>, id: string): Promise<User | null> {
  const row = await db.selectFrom("users").selectAll().where("id", "=", id).executeTakeFirst();
  return row ? toUser(row) : null;
}

export async function requireUser(db: Kysely<DB>, id: string): Promise<User> {
  const user = await findUser(db, id);
  if (!user) throw new AppError("USER_NOT_FOUND");
  return user;
}

export async function findUserByEmail(db: Kysely<DB>, email: string): Promise<User | null> {
  let normalized: string;
  try {
    normalized = normalizeEmail(email);
  } catch {
    return null;
  }
  const row = await db.selectFrom("users").selectAll().where("email", "=", normalized).executeTakeFirst();
  return row ? toUser(row) : null;
}

export async function listUsers(db: Kysely<DB>, organisationId: string): Promise<User[]> {
  const rows = await db
    .selectFrom("users")
    .selectAll()
    .where("organisation_id", "=", organisationId)
    .orderBy("created_at")
    .orderBy("id")
    .execute();
  return rows.map(toUser);
}

/** Returns false when the user was already disabled (nothing changed). */
export async function markUserDisabled(db: Kysely<DB>, id: string, now: Date): Promise<boolean> {
  const result = await db
    .updateTable("users")
    .set({ status: "disabled", disabled_at: now.toISOString() })
    .where("id", "=", id)
    .where("status", "=", "active")
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
