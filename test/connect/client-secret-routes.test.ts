import { afterEach, describe, expect, it } from "vitest";
import { type AuthWorld, openAuthWorld } from "../support/auth-world.js";
import { STORES } from "../support/stores.js";

for (const target of STORES) {
  describe.skipIf(target.skip)(`client secret routes on ${target.name}`, () => {
    let w: AuthWorld;
    afterEach(async () => {
      await w.t.close();
    });

    it("are for instance admins only (an account owner is refused and audited), and NOT_READY without an application", async () => {
      w = await openAuthWorld(target.name);
      const owner = await w.signIn(await w.person("owner", w.orgA, w.a1));
      const notification = { notificationType: "APPLICATION_OAUTH_CLIENT_NEW_SECRET" };
      for (const [method, url, body] of [
        ["GET", "/api/admin/client-secret", undefined],
        ["POST", "/api/admin/client-secret/notification", notification],
      ] as const) {
        expect((await w.call({ method, url, ...(body ? { body } : {}) })).statusCode).toBe(401);
        const refused = await w.call({ method, url, as: owner, ...(body ? { body } : {}) });
        expect(refused.statusCode).toBe(403);
        expect(refused.json().error.code).toBe("FORBIDDEN");
      }
      const denied = await w.t.db
        .selectFrom("audit_entries")
        .select(["action", "outcome"])
        .where("action", "like", "client_secret.%")
        .execute();
      expect(denied).toEqual(
        expect.arrayContaining([
          { action: "client_secret.read", outcome: "denied" },
          { action: "client_secret.accept", outcome: "denied" },
        ]),
      );

      const adminPerson = await w.person("owner", w.orgA, w.a2);
      await w.t.db
        .updateTable("users")
        .set({ is_instance_admin: 1 })
        .where("id", "=", adminPerson.id)
        .execute();
      const admin = await w.signIn(adminPerson);
      const res = await w.call({ method: "GET", url: "/api/admin/client-secret", as: admin });
      expect(res.statusCode).toBe(503);
      expect(res.json().error.code).toBe("NOT_READY");
    });
  });
}
