import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { Kysely } from "kysely";
import { z } from "zod";
import type { Config } from "../config/config.js";
import type { DB } from "../db/schema.js";
import { hostName, isSafeHost, originOf } from "../http/origin.js";
import type { Clock } from "../platform/clock.js";
import { AppError } from "../platform/errors.js";
import type { Services } from "../services.js";
import {
  authRateLimit,
  clearSessionCookie,
  passwordChangeDue,
  requireSession,
  sessionCookie,
  setSessionCookie,
} from "./authentication.js";
import type { SecondFactor } from "./credentials-service.js";
import { hashInvitationToken } from "./invitations.js";
import { findInvitationByTokenHash } from "./invitations-repo.js";
import { passkeyAuthentication, passkeyRegistration, passkeyRoutes } from "./passkey-routes.js";
import type { RelyingParty } from "./passkeys.js";
import { assertPasswordPolicy, PASSWORD_POLICY } from "./password-policy.js";
import { readPasswordRow } from "./passwords.js";
import type { IssuedSession, Session } from "./sessions.js";
import { findUser, findUserByEmail, type User } from "./users-repo.js";

export interface AuthRoutesDeps {
  db: Kysely<DB>;
  clock: Clock;
  config: Pick<Config, "publicUrl">;
  services: Pick<Services, "modules" | "credentials" | "identity">;
  /** Requests per IP and minute on each guessable step. */
  rateLimit: number;
}

const METHOD_NAMES: Record<SecondFactor, "totp" | "recovery" | "passkey"> = {
  totp: "totp",
  recovery_code: "recovery",
  passkey: "passkey",
};

const email = z.string().min(1).max(320);
const password = z
  .string()
  .min(1)
  .max(PASSWORD_POLICY.maxLength * 2);
const code = z.string().min(1).max(64);
const methods = z.array(z.enum(["totp", "recovery", "passkey"])).max(3);
const csrf = z.string().max(64);
const afterFactor = z.object({ next: z.enum(["done", "change_password"]), csrfToken: csrf });
const userView = z.object({
  id: z.string().max(64),
  email: z.string().max(320),
  name: z.string().max(200),
  isInstanceAdmin: z.boolean(),
});

/** The relying party is this instance: its public URL, or (development) the Host the browser used. */
export function relyingParty(publicUrl: string | null, host: string | undefined): RelyingParty {
  const origin = originOf(publicUrl, host);
  const rpID = publicUrl ? new URL(publicUrl).hostname : isSafeHost(host) ? hostName(host) : "localhost";
  return { rpID: rpID.replace(/^\[|\]$/g, ""), origin };
}

export function authRoutes(deps: AuthRoutesDeps): FastifyPluginAsyncZod {
  const { db, clock, services } = deps;
  const { sessions, totp, passkeys, recoveryCodes } = services.modules;
  const { credentials } = services;
  const limited = { rateLimit: authRateLimit(deps.rateLimit) };

  async function methodsOf(userId: string) {
    const list: ("totp" | "recovery" | "passkey")[] = [];
    if (await totp.isEnrolled(userId)) list.push(METHOD_NAMES.totp);
    if (await passkeys.hasAny(userId)) list.push(METHOD_NAMES.passkey);
    if (list.length > 0 && (await recoveryCodes.remaining(userId)) > 0) list.push(METHOD_NAMES.recovery_code);
    return list;
  }

  async function signedIn(issued: IssuedSession) {
    const next = (await passwordChangeDue(db, clock, issued.session.userId)) ? "change_password" : "done";
    return { next, csrfToken: sessions.csrfToken(issued.session) } as const;
  }

  function userOf(user: User) {
    return {
      id: user.id,
      email: user.email,
      name: user.displayName,
      isInstanceAdmin: user.isInstanceAdmin,
    };
  }

  async function requireUser(session: Session): Promise<User> {
    const user = await findUser(db, session.userId);
    if (user?.status !== "active") throw new AppError("SESSION_INVALID");
    return user;
  }

  return async (app) => {
    app.post(
      "/api/auth/sign-in",
      {
        config: { permission: "public", ...limited },
        schema: {
          summary: "Password step: answers which second factor comes next and sets a pending session",
          tags: ["auth"],
          body: z.object({ email, password }),
          response: {
            200: z.object({ next: z.enum(["mfa", "enroll_mfa"]), methods, csrfToken: csrf }),
          },
        },
      },
      async (request, reply) => {
        const user = await findUserByEmail(db, request.body.email);
        // Unknown and disabled addresses take the same path (and the same time) as a wrong password.
        const result = await credentials.signIn(
          user?.status === "active" ? user.id : null,
          request.body.password,
        );
        const previous = sessionCookie(request);
        if (previous) await sessions.revoke(previous);
        setSessionCookie(reply, result.pending.token);
        return {
          next: result.nextStep === "enroll_mfa" ? ("enroll_mfa" as const) : ("mfa" as const),
          methods: result.factors.map((f) => METHOD_NAMES[f]),
          csrfToken: sessions.csrfToken(result.pending.session),
        };
      },
    );

    for (const [url, kind] of [
      ["/api/auth/mfa/totp", "totp"],
      ["/api/auth/mfa/recovery", "recovery_code"],
    ] as const) {
      app.post(
        url,
        {
          config: { permission: "session:pending", ...limited },
          schema: {
            summary: `Second factor (${kind === "totp" ? "authenticator code" : "recovery code"}): signs in under a new session token`,
            tags: ["auth"],
            body: z.object({ code }),
            response: { 200: afterFactor },
          },
        },
        async (request, reply) => {
          const { token } = requireSession(request);
          const issued = await credentials.completeSecondFactor(token, { kind, code: request.body.code });
          setSessionCookie(reply, issued.token);
          return signedIn(issued);
        },
      );
    }

    await app.register(
      passkeyAuthentication({
        rp: (host) => relyingParty(deps.config.publicUrl, host),
        passkeys,
        credentials,
        limited,
        finish: signedIn,
      }),
    );

    app.post(
      "/api/auth/enroll/totp",
      {
        config: { permission: "session:pending", ...limited },
        schema: {
          summary: "Starts authenticator-app enrollment: the otpauth URI and its QR code, shown once",
          tags: ["auth"],
          body: z.object({}).optional(),
          response: { 200: z.object({ otpauthUri: z.string().max(1024), qrSvg: z.string().max(200_000) }) },
        },
      },
      async (request) => {
        const { token, session } = requireSession(request);
        const user = await requireUser(session);
        const enrollment = await credentials.startTotpEnrollment(token, user.email);
        return { otpauthUri: enrollment.uri, qrSvg: enrollment.qrSvg };
      },
    );

    app.post(
      "/api/auth/enroll/totp/confirm",
      {
        config: { permission: "session:pending", ...limited },
        schema: {
          summary: "Confirms the authenticator app; on a first sign-in this completes it (session rotated)",
          tags: ["auth"],
          body: z.object({ code }),
          response: {
            200: z.object({
              recoveryCodes: z.array(z.string().max(64)).max(10),
              next: z.enum(["done", "change_password"]),
              csrfToken: csrf,
            }),
          },
        },
      },
      async (request, reply) => {
        const { token, session } = requireSession(request);
        const result = await credentials.confirmTotpEnrollment(token, request.body.code);
        const current = result.session ?? { token, session };
        if (result.session) setSessionCookie(reply, result.session.token);
        return { recoveryCodes: result.recoveryCodes ?? [], ...(await signedIn(current)) };
      },
    );

    await app.register(
      passkeyRegistration({
        rp: (host) => relyingParty(deps.config.publicUrl, host),
        passkeys,
        credentials,
        requireUser,
      }),
    );
    await app.register(passkeyRoutes({ passkeys, recoveryCodes }));

    app.post(
      "/api/auth/password",
      {
        config: { permission: "authenticated" },
        schema: {
          summary: "Changes the signed-in user's password (every rule checked); the session is rotated",
          tags: ["auth"],
          body: z.object({ currentPassword: password, newPassword: password }),
        },
      },
      async (request, reply) => {
        const { token, session } = requireSession(request);
        const user = await requireUser(session);
        const issued = await credentials.changePassword(
          token,
          request.body.currentPassword,
          request.body.newPassword,
          { name: user.displayName, email: user.email },
        );
        setSessionCookie(reply, issued.token);
        return reply.code(204).send();
      },
    );

    app.post(
      "/api/auth/sign-out",
      {
        config: { permission: "authenticated" },
        schema: { summary: "Ends this session", tags: ["auth"] },
      },
      async (request, reply) => {
        const { token } = requireSession(request);
        await sessions.revoke(token);
        clearSessionCookie(reply);
        return reply.code(204).send();
      },
    );

    app.post(
      "/api/auth/sign-out-everywhere",
      {
        config: { permission: "authenticated" },
        schema: { summary: "Ends every session of the signed-in user", tags: ["auth"] },
      },
      async (request, reply) => {
        const { session } = requireSession(request);
        await sessions.revokeAll(session.userId, `user:${session.userId}`);
        clearSessionCookie(reply);
        return reply.code(204).send();
      },
    );

    app.get(
      "/api/auth/session",
      {
        config: { permission: "public" },
        schema: {
          summary: "Who is signed in (if anyone), the next step of a sign-in, and the CSRF token",
          tags: ["auth"],
          response: {
            200: z.object({
              signedIn: z.boolean(),
              pending: z.boolean(),
              next: z.enum(["mfa", "enroll_mfa", "change_password"]).optional(),
              methods: methods.optional(),
              user: userView.optional(),
              csrfToken: csrf.optional(),
            }),
          },
        },
      },
      async (request, reply) => {
        reply.header("cache-control", "no-store");
        const token = sessionCookie(request);
        if (token === undefined) return { signedIn: false, pending: false };
        let session: Session;
        try {
          session = await sessions.resolve(token);
        } catch (err) {
          if (!(err instanceof AppError) || err.status !== 401) throw err;
          clearSessionCookie(reply);
          return { signedIn: false, pending: false };
        }
        const user = await findUser(db, session.userId);
        if (user?.status !== "active") {
          clearSessionCookie(reply);
          return { signedIn: false, pending: false };
        }
        const csrfToken = sessions.csrfToken(session);
        if (!session.mfaVerified) {
          const list = await methodsOf(user.id);
          const next = list.length > 0 ? ("mfa" as const) : ("enroll_mfa" as const);
          return { signedIn: false, pending: true, next, methods: list, csrfToken };
        }
        const due = await passwordChangeDue(db, clock, user.id);
        return {
          signedIn: true,
          pending: false,
          ...(due ? { next: "change_password" as const } : {}),
          user: userOf(user),
          csrfToken,
        };
      },
    );

    app.post(
      "/api/invitations/accept",
      {
        config: { permission: "public", ...limited },
        schema: {
          summary: "Accepts an invitation: sets the password and starts a session that must enroll MFA",
          tags: ["auth"],
          body: z.object({ token: z.string().min(1).max(128), name: z.string().min(1).max(200), password }),
          response: {
            200: z.object({ next: z.enum(["enroll_mfa", "sign_in"]), csrfToken: csrf.optional() }),
          },
        },
      },
      async (request, reply) => {
        const { token, name } = request.body;
        const pending = /^[A-Za-z0-9_-]{43}$/.test(token)
          ? await findInvitationByTokenHash(db, hashInvitationToken(token))
          : null;
        const existing = pending ? await findUserByEmail(db, pending.email) : null;
        const hasPassword = existing ? (await readPasswordRow(db, existing.id)) !== undefined : false;
        // The password is checked before the invitation is spent, so a refused password changes nothing.
        if (pending && !hasPassword)
          assertPasswordPolicy(request.body.password, { name, email: pending.email });
        const { user } = await services.identity.acceptInvitation(token, { displayName: name });
        // Someone who already has a password keeps it: an invitation link must not be a password reset.
        if (hasPassword) return { next: "sign_in" as const };
        await services.modules.passwords.set(user.id, request.body.password, {
          owner: { name: user.displayName, email: user.email },
          actor: `user:${user.id}`,
          reason: "initial",
        });
        const issued = await sessions.start(user.id);
        setSessionCookie(reply, issued.token);
        return { next: "enroll_mfa" as const, csrfToken: sessions.csrfToken(issued.session) };
      },
    );
  };
}
