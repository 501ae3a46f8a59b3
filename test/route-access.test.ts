// Generated from the real app's route table: every route, no exceptions list. A route added tomorrow is
// checked here the moment it is registered, with the checks its own declaration calls for.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isPermission, type Permission } from "../src/access/permissions.js";
import { ROLES, type Role } from "../src/access/roles.js";
import type { DeclaredRoute } from "../src/access/route-permissions.js";
import { PASSWORD_CHANGE_ROUTES } from "../src/identity/authentication.js";
import { type AuthWorld, type Browser, openAuthWorld, type Person } from "./support/auth-world.js";
import { expectedAllowed } from "./support/role-matrix.js";
import { STORES, tempDir } from "./support/stores.js";

const PLACEHOLDER = "00000000-0000-4000-8000-000000000000";
const UNKNOWN_ACCOUNT = "11111111-1111-4111-8111-111111111111";
const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);
/** Codes that mean "stopped at the door": a request that got past authentication answers none of them. */
const DOOR = new Set([
  "SESSION_INVALID",
  "SESSION_EXPIRED",
  "MFA_REQUIRED",
  "API_TOKEN_INVALID",
  "CSRF_TOKEN_INVALID",
]);

function urlOf(route: DeclaredRoute, accountId: string): string {
  return route.url
    .replace(":accountId", accountId)
    .replace(/:[A-Za-z]+/g, PLACEHOLDER)
    .replace(/\*$/, "x");
}

/** HEAD answers carry no body: their code is checked through the GET twin. */
function codeOf(
  res: { body: string; raw: { req: { method?: string } } },
  fallback?: string,
): string | undefined {
  if (res.raw.req.method === "HEAD") return fallback;
  try {
    return (JSON.parse(res.body) as { error?: { code?: string } }).error?.code;
  } catch {
    return undefined;
  }
}

for (const target of STORES) {
  describe.skipIf(target.skip)(`route access on ${target.name} (generated from the route table)`, () => {
    let w: AuthWorld;
    let routes: readonly DeclaredRoute[];
    const people = {} as Record<Role, Person>;
    const sessions = {} as Record<Role, Browser>;
    let outsider: Browser;
    let pendingEnrolled: Browser;
    let pendingNew: Browser;

    const web = tempDir("sp-route-web-");

    beforeAll(async () => {
      // With a built web app, so its static routes are in the table too.
      mkdirSync(path.join(web.dir, "assets"), { recursive: true });
      writeFileSync(path.join(web.dir, "index.html"), "<!doctype html><title>Seller Pilot</title>\n");
      writeFileSync(path.join(web.dir, "assets", "app-abc.js"), "export {};\n");
      w = await openAuthWorld(target.name, { webRoot: web.dir });
      routes = w.t.app.declaredRoutes;
      for (const role of ROLES) {
        people[role] = await w.person(role, w.orgA, w.a1);
        sessions[role] = await w.signIn(people[role]);
      }
      outsider = await w.signIn(await w.person("owner", w.orgB, w.b1));
      pendingEnrolled = await w.signInPending(people.viewer);
      pendingNew = await w.signInPending(await w.person("viewer", w.orgA, w.a1));
    }, 120_000);
    afterAll(async () => {
      await w?.t.close();
      web.remove();
    });

    const call = (route: DeclaredRoute, as: Browser | null, accountId: string, csrf?: string | null) =>
      w.call({
        method: route.method as never,
        url: urlOf(route, accountId),
        as,
        ...(csrf !== undefined ? { csrf } : {}),
      });

    it("every route declares its access, and the table holds the routes this module promises", () => {
      expect(routes.filter((r) => r.access === null)).toEqual([]);
      const urls = new Set(routes.map((r) => `${r.method} ${r.url}`));
      for (const expected of [
        "POST /api/auth/sign-in",
        "GET /api/auth/session",
        "GET /api/accounts",
        "GET /api/accounts/:accountId/members",
        "POST /api/tokens",
        "GET /api/audit",
        "GET /healthz",
      ])
        expect(urls, expected).toContain(expected);
      expect(urls).toContain("GET /assets/app-abc.js");
      expect(urls).toContain("GET /");
      // Every catalog permission route carries the account it is checked against.
      for (const r of routes.filter((r) => isPermission(r.access))) expect(r.url).toContain(":accountId");
    });

    it("every API route is documented in the OpenAPI document", async () => {
      const doc = (await w.call({ method: "GET", url: "/api/openapi.json" })).json() as {
        paths: Record<string, Record<string, unknown>>;
      };
      for (const r of routes.filter((r) => r.url.startsWith("/api/") && r.method !== "HEAD")) {
        const documented = doc.paths[r.url.replace(/:([A-Za-z]+)/g, "{$1}")];
        expect(documented?.[r.method.toLowerCase()], `${r.method} ${r.url}`).toBeDefined();
      }
    });

    it("every non-public route refuses anonymous callers, a forged cookie and a forged bearer token (401)", async () => {
      for (const route of routes.filter((r) => r.access !== "public")) {
        const label = `${route.method} ${route.url}`;
        const anonymous = await call(route, null, w.a1);
        expect(anonymous.statusCode, label).toBe(401);
        expect(codeOf(anonymous, "SESSION_INVALID"), label).toBe("SESSION_INVALID");
        const forged = await call(route, { cookie: "A".repeat(43), csrf: "x" }, w.a1);
        expect(forged.statusCode, label).toBe(401);
        const bearer = await w.call({
          method: route.method as never,
          url: urlOf(route, w.a1),
          bearer: "spt_nope",
        });
        expect(bearer.statusCode, label).toBe(401);
        expect(codeOf(bearer, "API_TOKEN_INVALID"), label).toBe("API_TOKEN_INVALID");
      }
    });

    it("every permission route refuses each role that lacks it (403) and lets each role that holds it through", async () => {
      const permissionRoutes = routes.filter((r) => isPermission(r.access));
      expect(permissionRoutes.length).toBeGreaterThan(0);
      for (const route of permissionRoutes) {
        for (const role of ROLES) {
          const label = `${role} ${route.method} ${route.url}`;
          const res = await call(route, sessions[role], w.a1);
          if (expectedAllowed(role, route.access as Permission)) {
            expect(res.statusCode, label).not.toBe(401);
            expect(DOOR.has(codeOf(res) ?? ""), label).toBe(false);
            expect(["FORBIDDEN", "ACCOUNT_NOT_FOUND"], label).not.toContain(codeOf(res));
          } else {
            expect(res.statusCode, label).toBe(403);
            expect(codeOf(res, "FORBIDDEN"), label).toBe("FORBIDDEN");
          }
        }
      }
    });

    it("every permission route answers 404 for another organisation's account and for an unknown id", async () => {
      for (const route of routes.filter((r) => isPermission(r.access))) {
        const label = `${route.method} ${route.url}`;
        for (const accountId of [w.b1, UNKNOWN_ACCOUNT, "not an id!"]) {
          const res = await call(route, sessions.owner, encodeURIComponent(accountId));
          expect(res.statusCode, `${label} ${accountId}`).toBe(404);
          expect(codeOf(res, "ACCOUNT_NOT_FOUND"), label).toBe("ACCOUNT_NOT_FOUND");
        }
        // The other organisation's owner cannot reach organisation A's account either.
        const res = await call(route, outsider, w.a1);
        expect(res.statusCode, label).toBe(404);
      }
    });

    it("every cookie-authenticated write refuses a missing or another session's CSRF token (403)", async () => {
      const writes = routes.filter((r) => r.access !== "public" && !SAFE.has(r.method));
      expect(writes.length).toBeGreaterThan(5);
      for (const route of writes) {
        const label = `${route.method} ${route.url}`;
        const as = route.access === "session:pending" ? pendingNew : sessions.owner;
        const foreign = route.access === "session:pending" ? pendingEnrolled.csrf : outsider.csrf;
        for (const csrf of [null, foreign, "", `${as.csrf}x`]) {
          const res = await call(route, as, w.a1, csrf);
          expect(res.statusCode, `${label} csrf=${String(csrf).slice(0, 6)}`).toBe(403);
          expect(codeOf(res, "CSRF_TOKEN_INVALID"), label).toBe("CSRF_TOKEN_INVALID");
        }
      }
    });

    it("a pending session (password only) reaches the session:pending routes and nothing else", async () => {
      for (const route of routes.filter((r) => r.access !== "public")) {
        const label = `${route.method} ${route.url}`;
        if (route.access === "session:pending") {
          const res = await call(route, pendingNew, w.a1);
          expect(DOOR.has(codeOf(res) ?? ""), `${label} ${res.body}`).toBe(false);
        } else {
          for (const pending of [pendingEnrolled, pendingNew]) {
            const res = await call(route, pending, w.a1);
            expect(res.statusCode, label).toBe(401);
            expect(codeOf(res, "MFA_REQUIRED"), label).toBe("MFA_REQUIRED");
          }
        }
      }
    });

    it("a session whose password must change reaches only the change, session and sign-out routes", async () => {
      const p = await w.person("owner", w.orgA, w.a1);
      await w.signIn(p);
      // As an admin reset leaves it (the clock is shared with the other checks, so no year-long jump here).
      await w.t.db
        .updateTable("user_passwords")
        .set({ must_change: 1 })
        .where("user_id", "=", p.id)
        .execute();
      const keys = new Set(routes.map((r) => `${r.method} ${r.url}`));
      for (const exempt of PASSWORD_CHANGE_ROUTES) expect(keys, exempt).toContain(exempt);
      const as = await w.signIn(p);
      const signOuts: DeclaredRoute[] = [];
      for (const route of routes.filter((r) => r.access !== "public" && r.access !== "session:pending")) {
        const key = `${route.method} ${route.url}`;
        if (PASSWORD_CHANGE_ROUTES.has(key)) {
          if (key.includes("sign-out")) signOuts.push(route);
          else expect(codeOf(await call(route, as, w.a1)), key).not.toBe("PASSWORD_CHANGE_REQUIRED");
          continue;
        }
        const res = await call(route, as, w.a1);
        expect(res.statusCode, key).toBe(403);
        expect(codeOf(res, "PASSWORD_CHANGE_REQUIRED"), key).toBe("PASSWORD_CHANGE_REQUIRED");
      }
      expect(signOuts).toHaveLength(2);
      for (const route of signOuts) {
        const res = await call(route, await w.signIn(p), w.a1);
        expect(res.statusCode, route.url).toBe(204);
      }
    });
  });
}
