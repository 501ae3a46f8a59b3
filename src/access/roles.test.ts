import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EXPECTED_MATRIX, expectedAllowed, MATRIX_COLUMNS } from "../../test/support/role-matrix.js";
import { PERMISSIONS } from "./permissions.js";
import { canGrant, parseRole, permissionsOf, permissionsOfStored, ROLES } from "./roles.js";

describe("roles", () => {
  it("match the hand-written matrix for every role and every permission of the catalog", () => {
    expect([...ROLES].sort()).toEqual([...MATRIX_COLUMNS].sort());
    for (const role of ROLES) {
      for (const permission of PERMISSIONS) {
        expect(permissionsOf(role).has(permission), `${role} × ${permission}`).toBe(
          expectedAllowed(role, permission),
        );
      }
    }
  });

  it("has a matrix row for every catalog permission and nothing else", () => {
    expect(Object.keys(EXPECTED_MATRIX).sort()).toEqual([...PERMISSIONS].sort());
  });

  it("owner holds everything admin holds; no role but owner may delete the account", () => {
    for (const p of permissionsOf("admin")) expect(permissionsOf("owner").has(p)).toBe(true);
    expect(ROLES.filter((r) => permissionsOf(r).has("account:delete"))).toEqual(["owner"]);
  });

  it("analysts never reach buyer data", () => {
    expect(permissionsOf("analyst").has("orders:read_pii")).toBe(false);
  });

  it("refuses unknown role names, and a stored unknown role grants nothing", () => {
    fc.assert(
      fc.property(fc.string(), (name) => {
        fc.pre(!(ROLES as readonly string[]).includes(name));
        expect(() => parseRole(name)).toThrow(expect.objectContaining({ code: "ROLE_UNKNOWN" }));
        expect(permissionsOfStored(name).size).toBe(0);
      }),
    );
    expect(parseRole("viewer")).toBe("viewer");
  });

  it("lets a granter hand out only roles within their own permissions", () => {
    expect(canGrant(permissionsOf("admin"), "owner")).toBe(false);
    expect(canGrant(permissionsOf("admin"), "fulfillment")).toBe(true);
    expect(canGrant(permissionsOf("owner"), "owner")).toBe(true);
    expect(canGrant(permissionsOf("analyst"), "fulfillment")).toBe(false);
    expect(canGrant(new Set(), "viewer")).toBe(false);
  });
});
