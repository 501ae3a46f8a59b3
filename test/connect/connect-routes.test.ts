import { afterEach, describe, expect, it } from "vitest";
import { FEATURE_NAMES } from "../../src/amazon/features.js";
import { recordAuthorization } from "../../src/connect/connect-repo.js";
import { type AuthWorld, openAuthWorld } from "../support/auth-world.js";
import { STORES } from "../support/stores.js";

for (const target of STORES) {
  describe.skipIf(target.skip)(`connect routes on ${target.name}`, () => {
    let w: AuthWorld;
    afterEach(async () => {
      await w.t.close();
    });

    it("serves the feature registry with the SP-API roles each feature needs, to signed-in users only", async () => {
      w = await openAuthWorld(target.name);
      expect((await w.call({ method: "GET", url: "/api/features" })).statusCode).toBe(401);
      const viewer = await w.signIn(await w.person("viewer", w.orgA, w.a1));
      const res = await w.call({ method: "GET", url: "/api/features", as: viewer });
      expect(res.statusCode).toBe(200);
      const features = res.json().features as { name: string; roles: string[] }[];
      expect(features.map((f) => f.name)).toEqual([...FEATURE_NAMES]);
      expect(features.find((f) => f.name === "fbm_shipping")?.roles).toContain(
        "Direct-to-Consumer Shipping (restricted)",
      );
    });

    it("lists each account's status, enabled features and the roles they require", async () => {
      w = await openAuthWorld(target.name);
      await recordAuthorization(w.t.db, w.a1, { features: ["pricing", "finances"] }, w.t.clock.now());
      const owner = await w.signIn(await w.person("owner", w.orgA, w.a1));
      const res = await w.call({ method: "GET", url: "/api/accounts", as: owner });
      expect(res.statusCode).toBe(200);
      expect(res.json().accounts).toEqual([
        expect.objectContaining({
          id: w.a1,
          status: "active",
          features: ["pricing", "finances"],
          requiredRoles: ["Finance and Accounting", "Pricing"],
        }),
      ]);
    });

    it("needs a CSRF token to start, and answers NOT_READY while no SP-API client is wired into the app", async () => {
      w = await openAuthWorld(target.name);
      const owner = await w.signIn(await w.person("owner", w.orgA, w.a1));
      const body = { features: ["pricing"] };
      const noCsrf = await w.call({ method: "POST", url: "/api/connect/start", as: owner, csrf: null, body });
      expect(noCsrf.statusCode).toBe(403);
      const res = await w.call({ method: "POST", url: "/api/connect/start", as: owner, body });
      expect(res.statusCode).toBe(503);
      expect(res.json().error?.code ?? res.json().code).toBe("NOT_READY");
    });
  });
}
