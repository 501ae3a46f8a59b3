import type { FastifyInstance } from "fastify";
import { isPermission, type Permission } from "./permissions.js";

/**
 * What a route requires, declared in its own definition: `{ config: { permission: "orders:read" } }`.
 * `public` needs nothing (health, security.txt); `authenticated` needs a signed-in, MFA-verified actor but
 * no account permission (the caller's own profile); `session:pending` also admits a session that has not
 * finished the second factor (only the MFA, enrollment and password-change steps). Anything that touches a
 * seller account names a permission from the catalog.
 */
export type RouteAccess = Permission | "public" | "session:pending" | "authenticated";

declare module "fastify" {
  interface FastifyContextConfig {
    permission?: RouteAccess;
  }
}

export interface DeclaredRoute {
  method: string;
  url: string;
  /** Null when the route declares nothing or something outside the catalog. */
  access: RouteAccess | null;
}

export function isRouteAccess(value: unknown): value is RouteAccess {
  return (
    value === "public" || value === "session:pending" || value === "authenticated" || isPermission(value)
  );
}

/** The route's declaration, read at run time (a misspelt permission in untyped code counts as none). */
export function routeAccess(config: unknown): RouteAccess | null {
  if (config === null || typeof config !== "object") return null;
  const value = (config as { permission?: unknown }).permission;
  return isRouteAccess(value) ? value : null;
}

/**
 * Records every route the app registers from now on, with its declaration. Call it before registering
 * routes; tests read the list after `app.ready()` to prove every route declares its access.
 */
export function recordRoutes(app: FastifyInstance): DeclaredRoute[] {
  const routes: DeclaredRoute[] = [];
  app.addHook("onRoute", (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      routes.push({ method: String(method), url: route.url, access: routeAccess(route.config) });
    }
  });
  return routes;
}

/** Routes with no valid declaration. No exception list: a route that needs none declares `public`. */
export function routesLackingPermission(routes: readonly DeclaredRoute[]): DeclaredRoute[] {
  return routes.filter((r) => r.access === null);
}
