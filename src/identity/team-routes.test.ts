import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AuthWorld, type Browser, openAuthWorld } from "../../test/support/auth-world.js";
import { STORES } from "../../test/support/stores.js";

for (const target of STORES) {
  describe.skipIf(target.skip)(`members list on ${target.name}`, () => {
    let w: AuthWorld;
    let owner: Browser;
    beforeAll(async () => {
      w = await openAuthWorld(target.name);
      owner = await w.signIn(await w.person("owner", w.orgA, w.a1));
      for (let i = 0; i < 3; i++) await w.person("viewer", w.orgA, w.a1);
    }, 60_000);
    afterAll(async () => {
      await w?.t.close();
    });

    it("pages by a bounded limit and puts every read on the audit record under its request id", async () => {
      const all = await w.call({ method: "GET", url: `/api/accounts/${w.a1}/members`, as: owner });
      expect(all.statusCode).toBe(200);
      const everyone = all.json().members as { userId: string }[];
      expect(everyone.length).toBeGreaterThanOrEqual(4);

      const page = await w.call({ method: "GET", url: `/api/accounts/${w.a1}/members?limit=2`, as: owner });
      expect(page.statusCode).toBe(200);
      expect(page.json().members).toEqual(everyone.slice(0, 2));

      for (const bad of ["0", "201", "two", "-1"]) {
        const res = await w.call({
          method: "GET",
          url: `/api/accounts/${w.a1}/members?limit=${bad}`,
          as: owner,
        });
        expect(res.statusCode, bad).toBe(400);
        expect(res.json().error.code).toBe("VALIDATION_FAILED");
      }

      await w.t.audit.flush();
      const reads = await w.t.db
        .selectFrom("audit_entries")
        .select(["target", "request_id", "outcome"])
        .where("action", "=", "team.members.read")
        .orderBy("seq")
        .execute();
      expect(reads).toHaveLength(2);
      expect(reads[1]?.request_id).toBe(page.headers["x-request-id"]);
      expect(JSON.parse(reads[1]?.target ?? "{}")).toEqual({ account: w.a1, rows: "2" });
    });
  });
}
