import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AuthWorld,
  freshIp,
  openAuthWorld,
  PASSWORD,
  sessionCookieOf,
} from "../../test/support/auth-world.js";
import { createSoftAuthenticator } from "../../test/support/soft-authenticator.js";
import { STORES } from "../../test/support/stores.js";
import { MS } from "../platform/clock.js";
import { SESSION_COOKIE } from "./authentication.js";

const PUBLIC_URL = "https://pilot.example";
const COOKIE_FLAGS = /^__Host-sp_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; Secure; SameSite=Strict$/;

for (const target of STORES) {
  describe.skipIf(target.skip)(`auth routes over HTTP on ${target.name}`, () => {
    let w: AuthWorld;
    beforeAll(async () => {
      // The production limit: 10 a minute per IP (each call below comes from a fresh address unless it says).
      w = await openAuthWorld(target.name, {
        authRateLimit: 10,
        env: { SELLER_PILOT_PUBLIC_URL: PUBLIC_URL },
      });
    }, 60_000);
    afterAll(async () => {
      await w?.t.close();
    });

    async function auditOf(userId: string, action: string) {
      await w.t.audit.flush();
      const rows = await w.t.db
        .selectFrom("audit_entries")
        .select(["action", "outcome", "reason", "target"])
        .where("action", "=", action)
        .where("target", "like", `%${userId}%`)
        .execute();
      return rows;
    }

    it("password -> pending -> TOTP -> signed in, with exact cookie flags and a rotated session", async () => {
      const p = await w.person("viewer", w.orgA, w.a1);
      const first = await w.call({
        method: "POST",
        url: "/api/auth/sign-in",
        body: { email: p.email, password: PASSWORD },
      });
      expect(first.statusCode).toBe(200);
      expect(first.json()).toMatchObject({ next: "enroll_mfa", methods: [] });
      expect(String(first.headers["set-cookie"])).toMatch(COOKIE_FLAGS);
      await w.signIn(p); // enrollment completes the first sign-in

      const pending = await w.signInPending(p);
      const status = await w.call({ method: "GET", url: "/api/auth/session", as: pending });
      expect(status.json()).toMatchObject({
        signedIn: false,
        pending: true,
        next: "mfa",
        methods: ["totp", "recovery"],
      });
      expect((await w.call({ method: "GET", url: "/api/accounts", as: pending })).json().error.code).toBe(
        "MFA_REQUIRED",
      );

      const wrong = await w.call({
        method: "POST",
        url: "/api/auth/mfa/totp",
        as: pending,
        body: { code: "000000" },
      });
      expect(wrong.statusCode).toBe(401);
      expect(wrong.json().error.code).toBe("TOTP_CODE_INVALID");

      const ok = await w.call({
        method: "POST",
        url: "/api/auth/mfa/totp",
        as: pending,
        body: { code: w.nextCode(p) },
      });
      expect(ok.statusCode).toBe(200);
      expect(ok.json()).toMatchObject({ next: "done" });
      const setCookie = String(ok.headers["set-cookie"]);
      expect(setCookie).toMatch(COOKIE_FLAGS);
      const signedIn = { cookie: sessionCookieOf(ok) ?? "", csrf: ok.json().csrfToken as string };
      expect(signedIn.cookie).not.toBe(pending.cookie);
      expect(signedIn.csrf).not.toBe(pending.csrf);

      // Rotation: the pending token is dead; the new one is signed in.
      const old = await w.call({ method: "GET", url: "/api/accounts", as: pending });
      expect(old.statusCode).toBe(401);
      expect(old.json().error.code).toBe("SESSION_INVALID");
      const me = await w.call({ method: "GET", url: "/api/auth/session", as: signedIn });
      expect(me.json()).toMatchObject({ signedIn: true, pending: false, user: { id: p.id, email: p.email } });
      const accounts = await w.call({ method: "GET", url: "/api/accounts", as: signedIn });
      expect(accounts.json().accounts).toEqual([
        expect.objectContaining({
          id: w.a1,
          role: "viewer",
          permissions: ["orders:read", "inventory:read", "pricing:read"],
        }),
      ]);
    });

    it("refuses a replayed TOTP code and spends a recovery code once", async () => {
      const p = await w.person("analyst", w.orgA, w.a1);
      const enrolled = await w.signIn(p);
      const codes = enrolled.recoveryCodes ?? [];
      expect(codes).toHaveLength(10);

      const a = await w.signInPending(p);
      const code = w.nextCode(p);
      expect(
        (await w.call({ method: "POST", url: "/api/auth/mfa/totp", as: a, body: { code } })).statusCode,
      ).toBe(200);
      const b = await w.signInPending(p);
      const replay = await w.call({ method: "POST", url: "/api/auth/mfa/totp", as: b, body: { code } });
      expect(replay.statusCode).toBe(401);
      expect(replay.json().error.code).toBe("TOTP_CODE_REPLAYED");

      const c = await w.signInPending(p);
      const used = await w.call({
        method: "POST",
        url: "/api/auth/mfa/recovery",
        as: c,
        body: { code: codes[0] },
      });
      expect(used.statusCode).toBe(200);
      const d = await w.signInPending(p);
      const again = await w.call({
        method: "POST",
        url: "/api/auth/mfa/recovery",
        as: d,
        body: { code: codes[0] },
      });
      expect(again.statusCode).toBe(401);
      expect(again.json().error.code).toBe("RECOVERY_CODE_INVALID");
    });

    it("locks the user after 10 failures (423), audited, and a correct password does not get through", async () => {
      const p = await w.person("viewer", w.orgA, w.a1);
      const codes: string[] = [];
      for (let i = 0; i < 10; i++) {
        const res = await w.call({
          method: "POST",
          url: "/api/auth/sign-in",
          body: { email: p.email, password: `Wrong-${i}-pass!A` },
        });
        codes.push(res.json().error.code);
      }
      expect(codes.slice(0, 9).every((c) => c === "INVALID_CREDENTIALS")).toBe(true);
      expect(codes[9]).toBe("USER_LOCKED");
      const locked = await w.call({
        method: "POST",
        url: "/api/auth/sign-in",
        body: { email: p.email, password: PASSWORD },
      });
      expect(locked.statusCode).toBe(423);
      expect(locked.json().error.code).toBe("USER_LOCKED");
      expect((await auditOf(p.id, "auth.failure")).length).toBeGreaterThanOrEqual(10);
      expect((await auditOf(p.id, "auth.lock")).length).toBe(1);
      // An unknown address answers exactly like a wrong password.
      const unknown = await w.call({
        method: "POST",
        url: "/api/auth/sign-in",
        body: { email: "nobody@agency.example", password: PASSWORD },
      });
      expect(unknown.statusCode).toBe(401);
      expect(unknown.json().error.code).toBe("INVALID_CREDENTIALS");
    });

    it("rate-limits sign-in per IP (429 RATE_LIMITED in the error shape), other addresses unaffected", async () => {
      const ip = freshIp();
      const statuses: number[] = [];
      for (let i = 0; i < 11; i++) {
        const res = await w.call({
          method: "POST",
          url: "/api/auth/sign-in",
          ip,
          body: { email: "rate@agency.example", password: "x" },
        });
        statuses.push(res.statusCode);
        if (i === 10) {
          expect(res.json()).toEqual({
            error: { code: "RATE_LIMITED", message: expect.any(String), requestId: expect.any(String) },
          });
          expect(res.headers["retry-after"]).toBeDefined();
        }
      }
      expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
      expect(statuses[10]).toBe(429);
      const other = await w.call({
        method: "POST",
        url: "/api/auth/sign-in",
        body: { email: "rate@agency.example", password: "x" },
      });
      expect(other.statusCode).toBe(401);
    });

    it("sign-out ends one session; sign-out-everywhere ends them all and clears the cookie", async () => {
      const p = await w.person("viewer", w.orgA, w.a1);
      const one = await w.signIn(p);
      const two = await w.signIn(p);
      const three = await w.signIn(p);
      const out = await w.call({ method: "POST", url: "/api/auth/sign-out", as: one });
      expect(out.statusCode).toBe(204);
      expect(String(out.headers["set-cookie"])).toContain(`${SESSION_COOKIE}=;`);
      expect((await w.call({ method: "GET", url: "/api/accounts", as: one })).statusCode).toBe(401);
      expect((await w.call({ method: "GET", url: "/api/accounts", as: two })).statusCode).toBe(200);
      const all = await w.call({ method: "POST", url: "/api/auth/sign-out-everywhere", as: two });
      expect(all.statusCode).toBe(204);
      for (const s of [two, three])
        expect((await w.call({ method: "GET", url: "/api/accounts", as: s })).statusCode).toBe(401);
    });

    it("passkeys: registered by a signed-in user (rpID/origin from the public URL), then a second factor", async () => {
      const p = await w.person("viewer", w.orgA, w.a1);
      const signedIn = await w.signIn(p);
      const authenticator = createSoftAuthenticator(PUBLIC_URL);
      const cred = authenticator.newCredential();
      const options = await w.call({ method: "POST", url: "/api/auth/passkeys/options", as: signedIn });
      expect(options.statusCode).toBe(200);
      expect(options.json().rp).toEqual({ id: "pilot.example", name: "Seller Pilot" });
      const registered = await w.call({
        method: "POST",
        url: "/api/auth/passkeys",
        as: signedIn,
        body: { response: authenticator.register(cred, options.json()), name: "laptop" },
      });
      expect(registered.statusCode, registered.body).toBe(201);
      const list = await w.call({ method: "GET", url: "/api/auth/passkeys", as: signedIn });
      expect(list.json().passkeys.map((k: { id: string }) => k.id)).toEqual([registered.json().id]);

      const pending = await w.signInPending(p);
      const status = await w.call({ method: "GET", url: "/api/auth/session", as: pending });
      expect(status.json().methods).toEqual(["totp", "passkey", "recovery"]);
      const request = await w.call({ method: "POST", url: "/api/auth/mfa/passkey/options", as: pending });
      expect(request.statusCode).toBe(200);
      // A wrong origin (a phishing site) is refused.
      const phish = createSoftAuthenticator("https://pilot.example.evil");
      const bad = await w.call({
        method: "POST",
        url: "/api/auth/mfa/passkey",
        as: pending,
        body: { response: phish.assert(cred, request.json()) },
      });
      expect(bad.statusCode).toBeGreaterThanOrEqual(400);
      expect(bad.statusCode).toBeLessThan(500);
      const retry = await w.call({ method: "POST", url: "/api/auth/mfa/passkey/options", as: pending });
      const ok = await w.call({
        method: "POST",
        url: "/api/auth/mfa/passkey",
        as: pending,
        body: { response: authenticator.assert(cred, retry.json()) },
      });
      expect(ok.statusCode, ok.body).toBe(200);
      expect(ok.json().next).toBe("done");
      const fresh = { cookie: sessionCookieOf(ok) ?? "", csrf: ok.json().csrfToken as string };
      expect((await w.call({ method: "GET", url: "/api/accounts", as: fresh })).statusCode).toBe(200);

      const removed = await w.call({
        method: "DELETE",
        url: `/api/auth/passkeys/${encodeURIComponent(registered.json().id)}`,
        as: fresh,
      });
      expect(removed.statusCode).toBe(204);
      const codes = await w.call({ method: "POST", url: "/api/auth/recovery-codes", as: fresh });
      expect(codes.json().recoveryCodes).toHaveLength(10);
    });

    it("password change: wrong current refused, rules enforced, session rotated", async () => {
      const p = await w.person("viewer", w.orgA, w.a1);
      const s = await w.signIn(p);
      const wrong = await w.call({
        method: "POST",
        url: "/api/auth/password",
        as: s,
        body: { currentPassword: "Nope-Nope-123!", newPassword: "Brand-New-Pass-77!" },
      });
      expect(wrong.json().error.code).toBe("INVALID_CREDENTIALS");
      const tooSoon = await w.call({
        method: "POST",
        url: "/api/auth/password",
        as: s,
        body: { currentPassword: PASSWORD, newPassword: "Brand-New-Pass-77!" },
      });
      expect(tooSoon.json().error.code).toBe("PASSWORD_TOO_RECENT");
      w.t.clock.advance(25 * MS.hour);
      const again = await w.signIn(p);
      const weak = await w.call({
        method: "POST",
        url: "/api/auth/password",
        as: again,
        body: { currentPassword: PASSWORD, newPassword: "lowercaseonly" },
      });
      expect(weak.statusCode).toBe(400);
      expect(weak.json().error.details.violations).toEqual(
        expect.arrayContaining(["PASSWORD_MISSING_UPPER"]),
      );
      const ok = await w.call({
        method: "POST",
        url: "/api/auth/password",
        as: again,
        body: { currentPassword: PASSWORD, newPassword: "Brand-New-Pass-77!" },
      });
      expect(ok.statusCode).toBe(204);
      const rotated = sessionCookieOf(ok);
      expect(rotated).not.toBeNull();
      expect((await w.call({ method: "GET", url: "/api/accounts", as: again })).statusCode).toBe(401);
    });
  });
}
