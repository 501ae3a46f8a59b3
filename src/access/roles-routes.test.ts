import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AuthWorld, openAuthWorld } from "../../test/support/auth-world.js";
import { STORES } from "../../test/support/stores.js";
import { PERMISSIONS } from "./permissions.js";
import { permissionsOf, ROLES } from "./roles.js";

for (const target of STORES) {
  describe.skipIf(target.skip)(`GET /api/roles on ${target.name}`, () => {
    let w: AuthWorld;
    beforeAll(async () => {
      w = await openAuthWorld(target.name);
    }, 60_000);
    afterAll(async () => {
      await w?.t.close();
    });

    it("sends the enforced role table to any signed-in user, and nothing to anonymous callers", async () => {
      const as = await w.signIn(await w.person("viewer", w.orgA, w.a1));
      const res = await w.call({ method: "GET", url: "/api/roles", as });
      expect(res.statusCode).toBe(200);
      const body = res.json() as {
        roles: { name: string; label: string; permissions: string[] }[];
        permissions: string[];
      };
      expect(body.permissions).toEqual([...PERMISSIONS]);
      expect(body.roles.map((r) => r.name)).toEqual([...ROLES]);
      for (const role of ROLES) {
        const sent = body.roles.find((r) => r.name === role);
        expect(new Set(sent?.permissions)).toEqual(permissionsOf(role));
        expect(sent?.label.length).toBeGreaterThan(0);
      }
      expect(body.roles.find((r) => r.name === "owner")?.permissions).toContain("account:delete");
      expect(body.roles.find((r) => r.name === "analyst")?.permissions).not.toContain("orders:read_pii");
      expect((await w.call({ method: "GET", url: "/api/roles" })).statusCode).toBe(401);
    });
  });
}
