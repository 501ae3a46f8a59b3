import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AuthWorld, openAuthWorld } from "../../test/support/auth-world.js";
import { STORES } from "../../test/support/stores.js";
import { currentRequestId, withRequestContext } from "../platform/request-context.js";

describe("request context", () => {
  it("is absent outside a request and follows awaits inside one", async () => {
    expect(currentRequestId()).toBeUndefined();
    const seen = await Promise.all(
      ["req_a", "req_b"].map((id) =>
        withRequestContext({ requestId: id }, async () => {
          await Promise.resolve();
          await new Promise<void>((r) => setImmediate(r));
          return currentRequestId();
        }),
      ),
    );
    expect(seen).toEqual(["req_a", "req_b"]);
    expect(currentRequestId()).toBeUndefined();
  });
});

for (const target of STORES) {
  describe.skipIf(target.skip)(`audit entries carry the request id on ${target.name}`, () => {
    let w: AuthWorld;
    beforeAll(async () => {
      w = await openAuthWorld(target.name);
    }, 60_000);
    afterAll(async () => {
      await w?.t.close();
    });

    async function entriesOf(userId: string) {
      await w.t.audit.flush();
      return w.t.db
        .selectFrom("audit_entries")
        .select(["action", "request_id"])
        .where("target", "like", `%${userId}%`)
        .execute();
    }

    it("a failed sign-in is audited under the x-request-id of its response, concurrent requests apart", async () => {
      const people = [await w.person("viewer", w.orgA, w.a1), await w.person("viewer", w.orgA, w.a1)];
      const responses = await Promise.all(
        people.map((p) =>
          w.call({
            method: "POST",
            url: "/api/auth/sign-in",
            body: { email: p.email, password: "wrong-Password-1!" },
          }),
        ),
      );
      for (const [i, p] of people.entries()) {
        const res = responses[i];
        expect(res?.statusCode).toBe(401);
        const requestId = res?.headers["x-request-id"];
        expect(requestId).toMatch(/^req_/);
        const failures = (await entriesOf(p.id)).filter((e) => e.action === "auth.failure");
        expect(failures).toHaveLength(1);
        expect(failures[0]?.request_id).toBe(requestId);
      }
    });

    it("an entry recorded outside any request has no request id", async () => {
      const p = await w.person("viewer", w.orgA, w.a1);
      const rows = await entriesOf(p.id);
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) expect(row.request_id).toBeNull();
    });
  });
}
