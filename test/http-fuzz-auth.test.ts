// Property tests of the authentication surface: cookies, bearer tokens, CSRF tokens and second-factor
// codes of every shape get a deliberate 4xx with a stable catalog code: never a 5xx, never a stack.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SESSION_COOKIE } from "../src/identity/authentication.js";
import { ERROR_CODES } from "../src/platform/errors.js";
import { type AuthWorld, type Browser, freshIp, openAuthWorld } from "./support/auth-world.js";

const PRINTABLE = fc.constantFrom(..."ABCXYZabcxyz0189-_=+/.:;,%\"'\\ <>{}[]!@#$^&*()|~`?spt_Atzr".split(""));
const text = (max: number) => fc.string({ unit: PRINTABLE, maxLength: max });
/** Near-misses matter most: right prefix, wrong length or alphabet. */
const tokenish = fc.oneof(
  text(80),
  text(60).map((s) => `spt_${s}`),
  fc.stringMatching(/^spt_[A-Za-z0-9_-]{43}$/),
  fc.stringMatching(/^[A-Za-z0-9_-]{43}$/),
  fc.stringMatching(/^[A-Za-z0-9_-]{0,100}$/),
);
const INTERNAL = /node_modules|\/work\/|at [A-Za-z]+ \(|SELECT |sqlite|postgres|TypeError|undefined is/i;

function checkShape(res: { statusCode: number; body: string }, allowed: readonly string[]) {
  expect(res.statusCode).toBeLessThan(500);
  expect(res.body).not.toMatch(INTERNAL);
  const body = JSON.parse(res.body) as { error?: { code: string; requestId: string } };
  if (res.statusCode >= 400) {
    expect(body.error?.code && body.error.code in ERROR_CODES).toBe(true);
    expect(allowed).toContain(body.error?.code);
  }
}

describe("fuzzing credentials and codes", () => {
  let w: AuthWorld;
  let signedIn: Browser;
  beforeAll(async () => {
    w = await openAuthWorld("sqlite");
    signedIn = await w.signIn(await w.person("owner", w.orgA, w.a1));
  }, 60_000);
  afterAll(async () => {
    await w?.t.close();
  });

  it("session cookies of any shape: 401 SESSION_INVALID", async () => {
    await fc.assert(
      fc.asyncProperty(tokenish, async (value) => {
        const res = await w.t.app.inject({
          method: "GET",
          url: "/api/accounts",
          headers: { cookie: `${SESSION_COOKIE}=${value}` },
          remoteAddress: freshIp(),
        });
        expect(res.statusCode).toBe(401);
        checkShape(res, ["SESSION_INVALID"]);
      }),
      { numRuns: 150 },
    );
  });

  it("Authorization headers of any shape: 401 API_TOKEN_INVALID", async () => {
    await fc.assert(
      fc.asyncProperty(
        tokenish,
        fc.constantFrom("Bearer ", "bearer ", "Basic ", "", "Bearer  "),
        async (value, scheme) => {
          const res = await w.t.app.inject({
            method: "GET",
            url: `/api/accounts/${w.a1}/members`,
            headers: { authorization: `${scheme}${value}` },
            remoteAddress: freshIp(),
          });
          expect(res.statusCode).toBe(401);
          checkShape(res, ["API_TOKEN_INVALID"]);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("CSRF tokens of any shape on a cookie write: 403 CSRF_TOKEN_INVALID, the session survives", async () => {
    await fc.assert(
      fc.asyncProperty(tokenish, async (csrf) => {
        const res = await w.call({ method: "POST", url: "/api/auth/sign-out", as: signedIn, csrf });
        expect(res.statusCode).toBe(403);
        checkShape(res, ["CSRF_TOKEN_INVALID"]);
      }),
      { numRuns: 100 },
    );
    expect((await w.call({ method: "GET", url: "/api/accounts", as: signedIn })).statusCode).toBe(200);
  });

  it("second-factor codes of any shape: a stable refusal, then the lock", async () => {
    const p = await w.person("viewer", w.orgA, w.a1);
    await w.signIn(p);
    let pending = await w.signInPending(p);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("/api/auth/mfa/totp", "/api/auth/mfa/recovery", "/api/auth/enroll/totp/confirm"),
        fc.oneof(text(70), fc.stringMatching(/^[0-9]{6}$/), fc.constant(""), fc.integer().map(String)),
        async (url, code) => {
          const res = await w.call({ method: "POST", url, as: pending, body: { code } });
          checkShape(res, [
            "TOTP_CODE_INVALID",
            "TOTP_CODE_REPLAYED",
            "RECOVERY_CODE_INVALID",
            "VALIDATION_FAILED",
            "USER_LOCKED",
            "MFA_REQUIRED",
            "SESSION_INVALID",
          ]);
          // A lucky guess signs in and rotates the session; keep fuzzing with a fresh pending one.
          if (res.statusCode === 200) pending = await w.signInPending(p);
        },
      ),
      { numRuns: 60 },
    );
  });
});
