import { AppError } from "../platform/errors.js";
import type { Permission } from "./permissions.js";

export const ROLES = ["owner", "admin", "analyst", "fulfillment", "viewer"] as const;
export type Role = (typeof ROLES)[number];

const VIEWER: readonly Permission[] = ["orders:read", "inventory:read", "pricing:read"];

/**
 * Least privilege: each role holds only what its job needs. Only `owner` may delete the seller account;
 * only `fulfillment`, `admin` and `owner` may reveal buyer PII (and then only with a purpose); `analyst`
 * sees business figures (finances included) but never buyer data. Team, audit and review permissions
 * stay with the people who answer for the account.
 */
const ADMIN: readonly Permission[] = [
  ...VIEWER,
  "orders:read_pii",
  "orders:ship",
  "finances:read",
  "sync:run",
  "team:read",
  "team:manage",
  "audit:read",
  "account:manage",
  "access_review:perform",
  "tokens:manage",
  "incidents:read",
  "incidents:manage",
];

const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = {
  viewer: VIEWER,
  analyst: [...VIEWER, "finances:read"],
  fulfillment: ["orders:read", "orders:read_pii", "orders:ship", "inventory:read"],
  admin: ADMIN,
  // The owner is the admin who may also delete the seller account.
  owner: [...ADMIN, "account:delete"],
};

const sets = new Map<Role, ReadonlySet<Permission>>(
  ROLES.map((r) => [r, new Set(ROLE_PERMISSIONS[r])] as const),
);

export function isRole(value: unknown): value is Role {
  return typeof value === "string" && (ROLES as readonly string[]).includes(value);
}

/** Parses a role name from input; unknown names are a client error, never a silent default. */
export function parseRole(value: unknown): Role {
  if (!isRole(value)) throw new AppError("ROLE_UNKNOWN");
  return value;
}

export function permissionsOf(role: Role): ReadonlySet<Permission> {
  const set = sets.get(role);
  if (!set) throw new AppError("ROLE_UNKNOWN");
  return set;
}

/** A stored role that no longer exists (renamed, removed) grants nothing rather than failing open. */
export function permissionsOfStored(role: string): ReadonlySet<Permission> {
  return isRole(role) ? permissionsOf(role) : new Set();
}

export function roleHas(role: Role, permission: Permission): boolean {
  return permissionsOf(role).has(permission);
}

/** Whether `granter` may hand out `role`: nobody grants a permission they do not hold themselves. */
export function canGrant(granter: ReadonlySet<Permission>, role: Role): boolean {
  for (const p of permissionsOf(role)) if (!granter.has(p)) return false;
  return true;
}
