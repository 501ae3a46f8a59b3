import Fastify, { type FastifyBaseLogger } from "fastify";
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from "fastify-type-provider-zod";
import { rolesRoutes } from "./access/roles-routes.js";
import { type DeclaredRoute, recordRoutes } from "./access/route-permissions.js";
import { accountRoutes, auditReadScope } from "./accounts/account-routes.js";
import type { SpApiCaller } from "./amazon/operation-spec.js";
import { auditRoutes } from "./audit/audit-routes.js";
import type { AuditSink } from "./audit/audit-sink.js";
import type { Config } from "./config/config.js";
import type { ClientSecretRotation } from "./connect/client-secret-rotation.js";
import { clientSecretRoutes } from "./connect/client-secret-routes.js";
import { connectRoutes } from "./connect/connect-routes.js";
import type { ConnectService } from "./connect/connect-service.js";
import type { Database } from "./db/database.js";
import { registerErrorHandling, sendError } from "./http/error-handler.js";
import { openApiRoute, registerOpenApi } from "./http/openapi.js";
import { registerSecurityHeaders } from "./http/security-headers.js";
import { TLS_MIN_VERSION, TLS12_CIPHERS, type TlsMaterial } from "./http/tls.js";
import { registerWebApp } from "./http/web-app.js";
import { accessReviewRoutes } from "./identity/access-review-routes.js";
import { authRoutes } from "./identity/auth-routes.js";
import { registerAuthentication, requireActor } from "./identity/authentication.js";
import { teamRoutes } from "./identity/team-routes.js";
import { tokenRoutes } from "./identity/token-routes.js";
import { incidentRoutes } from "./incidents/incident-routes.js";
import type { JobRunner } from "./jobs/jobs-types.js";
import type { Clock } from "./platform/clock.js";
import { newRequestId } from "./platform/ids.js";
import type { Logger } from "./platform/logger.js";
import { networkOf } from "./platform/network.js";
import { enterRequestContext } from "./platform/request-context.js";
import { retentionRoutes } from "./retention/retention-routes.js";
import { retentionStatusRoutes } from "./retention/retention-status-routes.js";
import type { Services } from "./services.js";
import { insightsRoutes } from "./sync/insights-routes.js";
import { ordersRoutes } from "./sync/orders-routes.js";
import { syncRoutes } from "./sync/sync-routes.js";
import { securityTxtRoutes } from "./system/security-txt.js";
import { systemRoutes } from "./system/system-routes.js";

export interface AppDeps {
  config: Config;
  logger: Logger;
  database: Database;
  clock: Clock;
  tls: Pick<TlsMaterial, "cert" | "key">;
  version: string;
  /** Directory of the built web app; null serves the API alone. */
  webRoot: string | null;
  /**
   * Identity, access and audit. Without it the app serves its public routes only (benchmarks of the bare
   * stack); authentication still fails closed for any route that declares more than `public`.
   */
  identity?: AppIdentity;
  /** The SP-API side: null when no client is wired (connect and Amazon-facing routes answer NOT_READY). */
  amazon?: AppAmazon | null;
  /** The background job runner (sync on demand, job status); null serves no job routes' actions. */
  jobs?: JobRunner | null;
}

export interface AppAmazon {
  /** The one SP-API client (every call to Amazon goes through it). */
  client: SpApiCaller;
  /** The website authorization workflow and the account profile the client reads. */
  connect: ConnectService;
  /** Amazon's 180-day client secret rule: age, and the new-secret notification's ingestion. */
  clientSecret?: ClientSecretRotation;
}

export interface AppIdentity {
  /** Identity and access services over the same store (createServices). */
  services: Services;
  /** The hash-chained audit log the services record into. */
  audit: AuditSink;
  /** The instance's audit signing key (SPKI base64): the only signatures POST /api/audit/verify trusts. */
  auditPublicKey: string;
  /** Requests per IP and minute on sign-in, second-factor, enrollment and invitation routes (default 10). */
  authRateLimit?: number;
}

/** Wires the HTTPS application. Listening is the caller's business (see server.ts). */
export async function buildApp(deps: AppDeps) {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    https: {
      cert: deps.tls.cert,
      key: deps.tls.key,
      minVersion: TLS_MIN_VERSION,
      ciphers: TLS12_CIPHERS,
      honorCipherOrder: true,
    },
    genReqId: () => newRequestId(),
    // Client-chosen request ids would let a caller forge correlation in our logs.
    requestIdHeader: false,
    bodyLimit: 1024 * 1024,
    connectionTimeout: 60_000,
    requestTimeout: 30_000,
    keepAliveTimeout: 10_000,
    return503OnClosing: true,
    routerOptions: { maxParamLength: 256 },
    // Errors Fastify raises before routing (malformed URLs, bad content-length) get our shape and logging too.
    frameworkErrors: (err, request, reply) => {
      reply.header("x-request-id", request.id);
      sendError(request, reply, err);
    },
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandling(app);
  // Not async: enterWith must run in the hook's own synchronous frame so the handler inherits it.
  app.addHook("onRequest", (request, reply, done) => {
    reply.header("x-request-id", request.id);
    enterRequestContext({ requestId: request.id, network: networkOf(request.ip) });
    done();
  });

  // Before authentication, so its refusals (401, 403, 404) carry HSTS, CSP and the rest like any answer.
  await registerSecurityHeaders(app);

  // Before any route: from here on a route without an access declaration fails start-up.
  const { identity } = deps;
  const db = deps.database.db;
  await registerAuthentication(app, {
    db,
    credentials: identity
      ? {
          sessions: identity.services.modules.sessions,
          apiTokens: identity.services.modules.apiTokens,
          authorizer: identity.services.authorizer,
          clock: deps.clock,
        }
      : null,
  });

  // The route table with each route's declaration (tests generate their access checks from it).
  const declaredRoutes = recordRoutes(app);

  await registerOpenApi(app, deps.version);

  openApiRoute(app);
  await app.register(systemRoutes({ config: deps.config, database: deps.database, version: deps.version }));
  await app.register(securityTxtRoutes({ config: deps.config, clock: deps.clock }));
  if (identity) {
    const { services } = identity;
    await app.register(
      authRoutes({
        db,
        clock: deps.clock,
        config: deps.config,
        services,
        rateLimit: identity.authRateLimit ?? 10,
      }),
    );
    await app.register(accountRoutes({ db }));
    await app.register(connectRoutes({ db, connect: deps.amazon?.connect ?? null }));
    await app.register(syncRoutes({ jobs: deps.jobs ?? null, audit: identity.audit }));
    await app.register(
      clientSecretRoutes({ db, audit: identity.audit, rotation: deps.amazon?.clientSecret ?? null }),
    );
    await app.register(teamRoutes({ db, clock: deps.clock, services, audit: identity.audit }));
    await app.register(rolesRoutes());
    const amazon = deps.amazon ? { client: deps.amazon.client } : null;
    await app.register(ordersRoutes({ db, clock: deps.clock, orders: services.orders, amazon }));
    await app.register(insightsRoutes({ db, clock: deps.clock, business: services.business }));
    await app.register(tokenRoutes({ services }));
    await app.register(accessReviewRoutes({ db, services }));
    await app.register(
      retentionRoutes({ db, clock: deps.clock, audit: identity.audit, config: deps.config }),
    );
    await app.register(retentionStatusRoutes({ db, clock: deps.clock, config: deps.config }));
    await app.register(incidentRoutes({ db, clock: deps.clock, audit: identity.audit, config: deps.config }));
    await app.register(
      auditRoutes({
        db,
        audit: identity.audit,
        trustedPublicKeys: [identity.auditPublicKey],
        scope: (request) => auditReadScope(db, requireActor(request)),
      }),
    );
  }
  await registerWebApp(app, deps.webRoot);

  return Object.assign(app, { declaredRoutes: declaredRoutes as readonly DeclaredRoute[] });
}

export type App = Awaited<ReturnType<typeof buildApp>>;
