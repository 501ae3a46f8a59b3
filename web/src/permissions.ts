// What the UI needs to know about permissions: which pages to offer. The server decides every request;
// this copy of the role table only hides what would be refused anyway (used when /api/accounts does not
// send each account's permissions).
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
  | "tokens:manage";

export const ROLES = ["owner", "admin", "analyst", "fulfillment", "viewer"] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_LABELS: Readonly<Record<Role, string>> = {
  owner: "Owner",
  admin: "Admin",
  analyst: "Analyst",
  fulfillment: "Fulfillment",
  viewer: "Viewer",
};

export const ROLE_DESCRIPTIONS: Readonly<Record<Role, string>> = {
  owner: "Everything, including deleting the seller account.",
  admin: "Runs the account and the team; may reveal buyer data with a purpose.",
  analyst: "Business figures (orders, stock, prices, finances); never buyer data.",
  fulfillment: "Ships orders; may reveal buyer data of FBM orders with a purpose.",
  viewer: "Reads orders, stock and prices.",
};

const VIEWER: readonly Permission[] = ["orders:read", "inventory:read", "pricing:read"];
const MANAGER: readonly Permission[] = [
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
];

const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = {
  viewer: VIEWER,
  analyst: [...VIEWER, "finances:read"],
  fulfillment: ["orders:read", "orders:read_pii", "orders:ship", "inventory:read"],
  admin: MANAGER,
  owner: [...MANAGER, "account:delete"],
};

export function isRole(value: unknown): value is Role {
  return typeof value === "string" && (ROLES as readonly string[]).includes(value);
}

/** Unknown roles grant nothing, as on the server. */
export function permissionsOfRole(role: string): readonly Permission[] {
  return isRole(role) ? ROLE_PERMISSIONS[role] : [];
}

/** Every permission an API token may carry, for the token form. */
export const TOKEN_PERMISSIONS: readonly Permission[] = [...MANAGER, "account:delete"];
