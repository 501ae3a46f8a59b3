import type { AuthenticationResponseJSON, RegistrationResponseJSON } from "@simplewebauthn/server";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { requireSession, setSessionCookie } from "./authentication.js";
import type { CredentialsService } from "./credentials-service.js";
import type { Passkeys, RelyingParty } from "./passkeys.js";
import type { RecoveryCodes } from "./recovery-codes.js";
import type { IssuedSession, Session } from "./sessions.js";
import type { User } from "./users-repo.js";

// WebAuthn JSON (base64url fields). Bounded generously: attestation objects carry certificates.
const b64 = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[A-Za-z0-9_-]*={0,2}$/);
const extensions = z.record(z.string().max(64), z.unknown()).refine((v) => Object.keys(v).length <= 16);
const attachment = z.enum(["platform", "cross-platform"]).optional();

const authenticationResponse = z.object({
  id: b64(1024),
  rawId: b64(1024),
  type: z.literal("public-key"),
  response: z.object({
    clientDataJSON: b64(8192),
    authenticatorData: b64(8192),
    signature: b64(2048),
    userHandle: b64(1024).optional(),
  }),
  clientExtensionResults: extensions,
  authenticatorAttachment: attachment,
});

const registrationResponse = z.object({
  id: b64(1024),
  rawId: b64(1024),
  type: z.literal("public-key"),
  response: z.object({
    clientDataJSON: b64(8192),
    attestationObject: b64(65_536),
    transports: z.array(z.string().max(32)).max(8).optional(),
    authenticatorData: b64(65_536).optional(),
    publicKey: b64(8192).optional(),
    publicKeyAlgorithm: z.number().int().optional(),
  }),
  clientExtensionResults: extensions,
  authenticatorAttachment: attachment,
});

/** The options objects are the library's JSON forms, passed through as they are. */
const options = z.record(z.string().max(64), z.unknown());
const afterFactor = z.object({ next: z.enum(["done", "change_password"]), csrfToken: z.string().max(64) });

interface PasskeyDeps {
  rp: (host: string | undefined) => RelyingParty;
  passkeys: Pick<Passkeys, "authenticationOptions">;
  credentials: Pick<CredentialsService, "completeSecondFactor">;
  limited: Record<string, unknown>;
  finish: (issued: IssuedSession) => Promise<{ next: "done" | "change_password"; csrfToken: string }>;
}

/** Passkey as the second factor of a sign-in (pending session). */
export function passkeyAuthentication(deps: PasskeyDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      "/api/auth/mfa/passkey/options",
      {
        config: { permission: "session:pending", ...deps.limited },
        schema: {
          summary: "WebAuthn request options for signing in with a passkey",
          tags: ["auth"],
          response: { 200: options },
        },
      },
      async (request) => {
        const { session } = requireSession(request);
        const opts = await deps.passkeys.authenticationOptions(session.userId, deps.rp(request.headers.host));
        return { ...opts };
      },
    );

    app.post(
      "/api/auth/mfa/passkey",
      {
        config: { permission: "session:pending", ...deps.limited },
        schema: {
          summary: "Second factor (passkey assertion): signs in under a new session token",
          tags: ["auth"],
          body: z.object({ response: authenticationResponse }),
          response: { 200: afterFactor },
        },
      },
      async (request, reply) => {
        const { token } = requireSession(request);
        const issued = await deps.credentials.completeSecondFactor(token, {
          kind: "passkey",
          response: request.body.response as AuthenticationResponseJSON,
          rp: deps.rp(request.headers.host),
        });
        setSessionCookie(reply, issued.token);
        return deps.finish(issued);
      },
    );
  };
}

interface RegistrationDeps {
  rp: (host: string | undefined) => RelyingParty;
  passkeys: Pick<Passkeys, "registrationOptions">;
  credentials: Pick<CredentialsService, "startPasskeyEnrollment" | "confirmPasskeyEnrollment">;
  requireUser: (session: Session) => Promise<User>;
}

/** Adding a passkey to a signed-in user's account. */
export function passkeyRegistration(deps: RegistrationDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      "/api/auth/passkeys/options",
      {
        config: { permission: "authenticated" },
        schema: {
          summary: "WebAuthn creation options for a new passkey",
          tags: ["auth"],
          response: { 200: options },
        },
      },
      async (request) => {
        const { token, session } = requireSession(request);
        const user = await deps.requireUser(session);
        const opts = await deps.credentials.startPasskeyEnrollment(
          token,
          { name: user.email, displayName: user.displayName },
          deps.rp(request.headers.host),
        );
        return { ...opts };
      },
    );

    app.post(
      "/api/auth/passkeys",
      {
        config: { permission: "authenticated" },
        schema: {
          summary: "Registers a passkey from the authenticator's response",
          tags: ["auth"],
          body: z.object({ response: registrationResponse, name: z.string().max(100).optional() }),
          response: { 201: z.object({ id: z.string().max(1024) }) },
        },
      },
      async (request, reply) => {
        const { token } = requireSession(request);
        await deps.credentials.confirmPasskeyEnrollment(
          token,
          request.body.response as RegistrationResponseJSON,
          deps.rp(request.headers.host),
        );
        return reply.code(201).send({ id: request.body.response.id });
      },
    );
  };
}

/** The signed-in user's passkeys and recovery codes. */
export function passkeyRoutes(deps: {
  passkeys: Pick<Passkeys, "list" | "remove">;
  recoveryCodes: Pick<RecoveryCodes, "regenerate">;
}): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      "/api/auth/passkeys",
      {
        config: { permission: "authenticated" },
        schema: {
          summary: "The signed-in user's passkeys",
          tags: ["auth"],
          response: {
            200: z.object({
              passkeys: z.array(
                z.object({
                  id: z.string().max(1024),
                  transports: z.array(z.string().max(32)).max(8),
                  createdAt: z.string().max(40),
                  lastUsedAt: z.string().max(40).nullable(),
                }),
              ),
            }),
          },
        },
      },
      async (request) => {
        const { session } = requireSession(request);
        return { passkeys: await deps.passkeys.list(session.userId) };
      },
    );

    app.delete(
      "/api/auth/passkeys/:id",
      {
        config: { permission: "authenticated" },
        schema: {
          summary: "Removes one of the signed-in user's passkeys",
          tags: ["auth"],
          params: z.object({ id: z.string().min(1).max(1024) }),
        },
      },
      async (request, reply) => {
        const { session } = requireSession(request);
        await deps.passkeys.remove(session.userId, request.params.id, `user:${session.userId}`);
        return reply.code(204).send();
      },
    );

    app.post(
      "/api/auth/recovery-codes",
      {
        config: { permission: "authenticated" },
        schema: {
          summary: "Replaces every recovery code with 10 new ones, shown once",
          tags: ["auth"],
          response: { 200: z.object({ recoveryCodes: z.array(z.string().max(64)).max(10) }) },
        },
      },
      async (request) => {
        const { session } = requireSession(request);
        return {
          recoveryCodes: await deps.recoveryCodes.regenerate(session.userId, `user:${session.userId}`),
        };
      },
    );
  };
}
