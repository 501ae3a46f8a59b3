/**
 * The permission catalog: every action on Amazon Information or on the team is named here once. Roles are
 * sets of these (roles.ts); routes declare one of them (route-permissions.ts); API tokens carry a subset.
 */
export const PERMISSIONS = [
  "orders:read",
  // Revealing buyer name and address: always together with a stated purpose (pii-reveal.ts).
  "orders:read_pii",
  "orders:ship",
  "inventory:read",
  "pricing:read",
  "finances:read",
  "sync:run",
  "team:read",
  "team:manage",
  "audit:read",
  "account:manage",
  "account:delete",
  "access_review:perform",
  "tokens:manage",
  // Incident response (src/incidents): read incidents, move them through their lifecycle, add evidence.
  "incidents:read",
  "incidents:manage",
] as const;

export type Permission = (typeof PERMISSIONS)[number];

const known: ReadonlySet<string> = new Set(PERMISSIONS);

export function isPermission(value: unknown): value is Permission {
  return typeof value === "string" && known.has(value);
}
