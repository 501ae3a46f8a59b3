// UI-only names for permissions and roles: which pages to offer, and role labels where a page shows a role
// without the role table. Which role holds which permission comes from the server (GET /api/roles); the
// server decides every request.
export type Permission =
  | "orders:read"
  | "orders:read_pii"
  | "orders:ship"
  | "inventory:read"
  | "pricing:read"
  | "finances:read"
  | "sync:run"
  | "team:read"
  | "team:manage"
  | "audit:read"
  | "account:manage"
  | "account:delete"
  | "access_review:perform"
  | "tokens:manage"
  | "incidents:read"
  | "incidents:manage";

export const ROLES = ["owner", "admin", "analyst", "fulfillment", "viewer"] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_LABELS: Readonly<Record<Role, string>> = {
  owner: "Owner",
  admin: "Admin",
  analyst: "Analyst",
  fulfillment: "Fulfillment",
  viewer: "Viewer",
};

export function isRole(value: unknown): value is Role {
  return typeof value === "string" && (ROLES as readonly string[]).includes(value);
}
