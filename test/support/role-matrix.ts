import type { Permission } from "../../src/access/permissions.js";
import type { Role } from "../../src/access/roles.js";

/**
 * The expected role matrix, written out once by hand (not derived from roles.ts), so a wrong role
 * definition fails here. Record<Permission, ...> makes a new catalog entry a compile error until it has
 * a row. Columns: owner, admin, analyst, fulfillment, viewer.
 */
export const EXPECTED_MATRIX: Record<Permission, readonly [0 | 1, 0 | 1, 0 | 1, 0 | 1, 0 | 1]> = {
  //                         own adm ana ful vie
  "orders:read": /*        */ [1, 1, 1, 1, 1],
  "orders:read_pii": /*    */ [1, 1, 0, 1, 0],
  "orders:ship": /*        */ [1, 1, 0, 1, 0],
  "inventory:read": /*     */ [1, 1, 1, 1, 1],
  "pricing:read": /*       */ [1, 1, 1, 0, 1],
  "finances:read": /*      */ [1, 1, 1, 0, 0],
  "sync:run": /*           */ [1, 1, 0, 0, 0],
  "team:read": /*          */ [1, 1, 0, 0, 0],
  "team:manage": /*        */ [1, 1, 0, 0, 0],
  "audit:read": /*         */ [1, 1, 0, 0, 0],
  "account:manage": /*     */ [1, 1, 0, 0, 0],
  "account:delete": /*     */ [1, 0, 0, 0, 0],
  "access_review:perform": [1, 1, 0, 0, 0],
  "tokens:manage": /*      */ [1, 1, 0, 0, 0],
  "incidents:read": /*     */ [1, 1, 0, 0, 0],
  "incidents:manage": /*   */ [1, 1, 0, 0, 0],
};

export const MATRIX_COLUMNS: readonly Role[] = ["owner", "admin", "analyst", "fulfillment", "viewer"];

export function expectedAllowed(role: Role, permission: Permission): boolean {
  return EXPECTED_MATRIX[permission][MATRIX_COLUMNS.indexOf(role)] === 1;
}
