import Fastify from "fastify";
import { describe, expect, it } from "vitest";
import { PERMISSIONS } from "./permissions.js";
import { isRouteAccess, recordRoutes, routeAccess, routesLackingPermission } from "./route-permissions.js";

describe("route permission declarations", () => {
  it("lists every route of an app that declares no access, or an access outside the catalog", async () => {
    const app = Fastify();
    const routes = recordRoutes(app);
    app.get("/healthz", { config: { permission: "public" } }, async () => ({ ok: true }));
    app.get("/api/me", { config: { permission: "authenticated" } }, async () => ({}));
    app.get("/api/accounts/:accountId/orders", { config: { permission: "orders:read" } }, async () => []);
    app.post("/api/accounts/:accountId/sync", async () => ({}));
    // Untyped code can still misspell a permission: it counts as undeclared.
    app.route({
      method: ["GET", "DELETE"],
      url: "/api/accounts/:accountId",
      config: { permission: "account:destroy" } as never,
      handler: async () => ({}),
    });
    await app.register(async (child) => {
      child.get("/api/audit", { config: { permission: "audit:read" } }, async () => []);
    });
    await app.ready();
    const lacking = routesLackingPermission(routes).map((r) => `${r.method} ${r.url}`);
    expect(lacking).toEqual([
      "POST /api/accounts/:accountId/sync",
      "GET /api/accounts/:accountId",
      "DELETE /api/accounts/:accountId",
      // Fastify adds HEAD for GET with the same config: it is listed (and later tested) like any route.
      "HEAD /api/accounts/:accountId",
    ]);
    expect(routes.find((r) => r.url === "/api/audit")?.access).toBe("audit:read");
    expect(routes.filter((r) => r.url === "/healthz").every((r) => r.access === "public")).toBe(true);
    await app.close();
  });

  it("accepts exactly the catalog plus public, session:pending and authenticated", () => {
    for (const p of PERMISSIONS) expect(isRouteAccess(p)).toBe(true);
    expect(isRouteAccess("public")).toBe(true);
    expect(isRouteAccess("session:pending")).toBe(true);
    expect(isRouteAccess("authenticated")).toBe(true);
    for (const bad of [
      "",
      "orders",
      "ORDERS:READ",
      "*",
      "session",
      "pending",
      "session:active",
      null,
      undefined,
      1,
      {},
    ])
      expect(isRouteAccess(bad)).toBe(false);
    expect(routeAccess(undefined)).toBeNull();
    expect(routeAccess({ permission: "orders:ship" })).toBe("orders:ship");
  });
});
