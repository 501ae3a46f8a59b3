import cookie from "@fastify/cookie";
import rateLimit from "@fastify/rate-limit";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Kysely } from "kysely";
import type { AccessGrant, Actor, Authorizer } from "../access/authorize.js";
import { isPermission } from "../access/permissions.js";
import { type RouteAccess, routeAccess } from "../access/route-permissions.js";
import type { DB } from "../db/schema.js";
import type { HttpsApp } from "../http/types.js";
import { type Clock, MS } from "../platform/clock.js";
import { AppError } from "../platform/errors.js";
import type { ApiTokenInfo, ApiTokens } from "./api-tokens.js";
import { PASSWORD_POLICY } from "./password-policy.js";
import type { Session, Sessions } from "./sessions.js";

/** `__Host-`: the browser only accepts it Secure, Path=/ and without Domain, so no subdomain can plant one. */
export const SESSION_COOKIE = "__Host-sp_session";

export const SESSION_COOKIE_OPTIONS = {
  secure: true,
  httpOnly: true,
  sameSite: "strict",
  path: "/",
} as const;

export const CSRF_HEADER = "x-csrf-token";

/** What the request presented and what it resolved to; null on public routes that do not look. */
export type Credentials =
  | { kind: "session"; token: string; session: Session }
  | { kind: "api_token"; info: ApiTokenInfo };

declare module "fastify" {
  interface FastifyRequest {
    credentials: Credentials | null;
    actor: Actor | null;
    /** Set on routes that declare a catalog permission: the actor's rights on `:accountId`. */
    grant: AccessGrant | null;
  }
}

export interface AuthenticationDeps {
  db: Kysely<DB>;
  /** Null when the app runs without identity: every non-public route is then refused. */
  credentials: {
    sessions: Pick<Sessions, "resolve" | "authenticate" | "verifyCsrf">;
    apiTokens: Pick<ApiTokens, "authenticate">;
    authorizer: Pick<Authorizer, "authorize">;
    clock: Clock;
  } | null;
}

/**
 * Per-route config for the auth steps a guesser would hammer (sign-in, second factor, enrollment,
 * invitation accept). The counters live in this process's memory: with several processes behind a load
 * balancer each keeps its own, so the effective limit is per process (lockout is the store-wide control).
 */
export function authRateLimit(max: number) {
  return { max, timeWindow: MS.minute };
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * What a signed-in session may still reach while its password must be changed (past the maximum age or
 * reset by an admin): the change itself, the session status, and leaving.
 */
export const PASSWORD_CHANGE_ROUTES: ReadonlySet<string> = new Set([
  "POST /api/auth/password",
  "GET /api/auth/session",
  "POST /api/auth/sign-out",
  "POST /api/auth/sign-out-everywhere",
]);

/**
 * Past the maximum age or reset by an admin: nothing but the change until it is made. Read on every
 * session request, so only the two columns it needs (never the password hash).
 */
export async function passwordChangeDue(db: Kysely<DB>, clock: Clock, userId: string): Promise<boolean> {
  const row = await db
    .selectFrom("user_passwords")
    .select(["must_change", "changed_at"])
    .where("user_id", "=", userId)
    .executeTakeFirst();
  if (!row) return false;
  return (
    row.must_change === 1 || clock.now().getTime() - Date.parse(row.changed_at) >= PASSWORD_POLICY.maxAgeMs
  );
}
const BEARER = /^Bearer (\S{1,200})$/;

function presentedBearer(request: FastifyRequest): string | null | undefined {
  const header = request.headers.authorization;
  if (header === undefined) return undefined;
  const match = typeof header === "string" ? BEARER.exec(header) : null;
  return match?.[1] ?? null;
}

export function sessionCookie(request: FastifyRequest): string | undefined {
  const value = request.cookies[SESSION_COOKIE];
  return typeof value === "string" && value.length > 0 ? value : undefined;
}

export function setSessionCookie(reply: FastifyReply, token: string): void {
  reply.setCookie(SESSION_COOKIE, token, SESSION_COOKIE_OPTIONS);
}

export function clearSessionCookie(reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, SESSION_COOKIE_OPTIONS);
}

/** The session behind a route that needs one (bearer tokens cannot sign out, enroll or change passwords). */
export function requireSession(request: FastifyRequest): { token: string; session: Session } {
  const c = request.credentials;
  if (c?.kind !== "session") throw new AppError("SESSION_INVALID");
  return c;
}

export function requireActor(request: FastifyRequest): Actor {
  if (!request.actor) throw new AppError("SESSION_INVALID");
  return request.actor;
}

export function requireGrant(request: FastifyRequest): AccessGrant {
  if (!request.grant) throw new AppError("FORBIDDEN");
  return request.grant;
}

/** Start-up check: a route that declares nothing, or a permission without the account it applies to. */
function declarationProblem(url: string, access: RouteAccess | null): string | null {
  if (access === null) return "declares no valid config.permission";
  if (isPermission(access) && !url.includes(":accountId"))
    return `declares ${access} but has no :accountId to check it against`;
  return null;
}

/**
 * Authentication and the route declarations' enforcement. Registered before any route: every route added
 * afterwards must declare its access, or start-up fails (there is no exceptions list).
 */
export async function registerAuthentication(app: HttpsApp, deps: AuthenticationDeps): Promise<void> {
  const { db } = deps;

  app.addHook("onRoute", (route) => {
    const problem = declarationProblem(route.url, routeAccess(route.config));
    if (problem) throw new Error(`Route ${String(route.method)} ${route.url} ${problem}`);
  });

  await app.register(cookie, { parseOptions: {} });
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: () => new AppError("RATE_LIMITED"),
  });

  app.decorateRequest("credentials", null);
  app.decorateRequest("actor", null);
  app.decorateRequest("grant", null);

  async function resolveCredentials(request: FastifyRequest, allowPending: boolean): Promise<Credentials> {
    if (!deps.credentials) throw new AppError("SESSION_INVALID");
    const { sessions, apiTokens } = deps.credentials;
    const bearer = presentedBearer(request);
    if (bearer !== undefined) {
      // A malformed Authorization header is a failed token, audited like any other.
      const info = await apiTokens.authenticate(bearer ?? "");
      return { kind: "api_token", info };
    }
    const token = request.cookies[SESSION_COOKIE];
    // Nothing presented at all: a plain anonymous request, refused without an audit entry per page view.
    if (token === undefined) throw new AppError("SESSION_INVALID");
    const session = allowPending ? await sessions.resolve(token) : await sessions.authenticate(token);
    return { kind: "session", token, session };
  }

  app.addHook("onRequest", async (request) => {
    // The not-found handler answers every unrouted request with a 404 (or the web app's index.html).
    if (request.is404) return;
    const access = routeAccess(request.routeOptions.config);
    if (access === null) throw new AppError("INTERNAL", "A route without an access declaration was reached.");
    if (access === "public") return;

    const credentials = await resolveCredentials(request, access === "session:pending");
    request.credentials = credentials;
    if (credentials.kind === "api_token") {
      if (access === "session:pending") throw new AppError("SESSION_INVALID");
      request.actor = {
        kind: "api_token",
        userId: credentials.info.userId,
        tokenId: credentials.info.id,
        scopes: credentials.info.scopes,
      };
    } else {
      const { session } = credentials;
      request.actor = {
        kind: "user",
        userId: session.userId,
        sessionId: session.id,
        mfaVerified: session.mfaVerified,
      };
      // Bearer requests are exempt: a browser never attaches an Authorization header cross-site by itself.
      if (!SAFE_METHODS.has(request.method)) {
        await deps.credentials?.sessions.verifyCsrf(session, request.headers[CSRF_HEADER]);
      }
      // API tokens are exempt: they are separate credentials with their own expiry, not the password.
      if (
        session.mfaVerified &&
        deps.credentials &&
        !PASSWORD_CHANGE_ROUTES.has(`${request.method} ${request.routeOptions.url}`) &&
        (await passwordChangeDue(db, deps.credentials.clock, session.userId))
      ) {
        throw new AppError("PASSWORD_CHANGE_REQUIRED");
      }
    }

    if (isPermission(access)) {
      const accountId = (request.params as Record<string, unknown> | undefined)?.accountId;
      if (!deps.credentials) throw new AppError("SESSION_INVALID");
      request.grant = await deps.credentials.authorizer.authorize(
        db,
        request.actor,
        access,
        typeof accountId === "string" ? accountId : "",
      );
    }
  });
}
