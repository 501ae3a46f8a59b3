import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AuthWorld, type Browser, openAuthWorld, PASSWORD } from "../../test/support/auth-world.js";
import { STORES } from "../../test/support/stores.js";
import { MS } from "../platform/clock.js";

const NEW_PASSWORD = "Brisk-Harbor-2027!q";

for (const target of STORES) {
  describe.skipIf(target.skip)(`a due password change is enforced on ${target.name}`, () => {
    let w: AuthWorld;
    beforeAll(async () => {
      // Its own world: the clock moves a year here.
      w = await openAuthWorld(target.name);
    }, 60_000);
    afterAll(async () => {
      await w?.t.close();
    });

    async function codeOf(as: Browser, method: "GET" | "POST", url: string, body?: unknown) {
      const res = await w.call({ method, url, as, ...(body === undefined ? {} : { body }) });
      return res.statusCode >= 400 ? `${res.statusCode} ${res.json().error.code}` : String(res.statusCode);
    }

    async function assertOnlyChangeRoutes(as: Browser) {
      expect(await codeOf(as, "GET", "/api/accounts")).toBe("403 PASSWORD_CHANGE_REQUIRED");
      expect(await codeOf(as, "GET", `/api/accounts/${w.a1}/members`)).toBe("403 PASSWORD_CHANGE_REQUIRED");
      expect(await codeOf(as, "GET", "/api/tokens")).toBe("403 PASSWORD_CHANGE_REQUIRED");
      const session = await w.call({ method: "GET", url: "/api/auth/session", as });
      expect(session.json()).toMatchObject({ signedIn: true, next: "change_password" });
    }

    it("366 days after the last change: only the change, session and sign-out routes answer", async () => {
      const p = await w.person("owner", w.orgA, w.a1);
      const before = await w.signIn(p);
      expect(await codeOf(before, "GET", "/api/accounts")).toBe("200");

      w.t.clock.advance(366 * MS.day);
      const as = await w.signIn(p);
      await assertOnlyChangeRoutes(as);

      const changed = await w.call({
        method: "POST",
        url: "/api/auth/password",
        as,
        body: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD },
      });
      expect(changed.statusCode).toBe(204);
      // The change rotates the session; the new one reaches everything its role allows again.
      const cookie = changed.cookies.find((c) => c.name.endsWith("sp_session"))?.value ?? "";
      const after = { cookie, csrf: as.csrf };
      const status = await w.call({ method: "GET", url: "/api/auth/session", as: after });
      const fresh = { cookie, csrf: status.json().csrfToken as string };
      expect(await codeOf(fresh, "GET", "/api/accounts")).toBe("200");
      expect(status.json().next).toBeUndefined();
    });

    it("364 days is not yet due", async () => {
      const p = await w.person("viewer", w.orgA, w.a1);
      await w.signIn(p);
      w.t.clock.advance(364 * MS.day);
      const as = await w.signIn(p);
      expect(await codeOf(as, "GET", "/api/accounts")).toBe("200");
    });

    it("an admin reset confines the user's next session, and sign-out still works", async () => {
      const p = await w.person("viewer", w.orgA, w.a1);
      await w.signIn(p);
      await w.t.services.modules.passwords.set(p.id, PASSWORD.replace("x", "y"), {
        owner: { name: "Pat viewer Example", email: p.email },
        actor: "operator:test",
        reason: "admin_reset",
      });
      const as = await signInWith(p, PASSWORD.replace("x", "y"));
      await assertOnlyChangeRoutes(as);
      expect(await codeOf(as, "POST", "/api/auth/sign-out", {})).toBe("204");
    });

    async function signInWith(
      p: Awaited<ReturnType<AuthWorld["person"]>>,
      password: string,
    ): Promise<Browser> {
      const first = await w.call({
        method: "POST",
        url: "/api/auth/sign-in",
        body: { email: p.email, password },
      });
      const pending = {
        cookie: first.cookies.find((c) => c.name.endsWith("sp_session"))?.value ?? "",
        csrf: first.json().csrfToken,
      };
      const res = await w.call({
        method: "POST",
        url: "/api/auth/mfa/totp",
        as: pending,
        body: { code: w.nextCode(p) },
      });
      expect(res.statusCode).toBe(200);
      expect(res.json().next).toBe("change_password");
      return {
        cookie: res.cookies.find((c) => c.name.endsWith("sp_session"))?.value ?? "",
        csrf: res.json().csrfToken,
      };
    }
  });
}
