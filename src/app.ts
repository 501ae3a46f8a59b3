import Fastify, { type FastifyBaseLogger } from "fastify";
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from "fastify-type-provider-zod";
import type { Config } from "./config/config.js";
import type { Database } from "./db/database.js";
import { registerErrorHandling, sendError } from "./http/error-handler.js";
import { openApiRoute, registerOpenApi } from "./http/openapi.js";
import { registerSecurityHeaders } from "./http/security-headers.js";
import { TLS_MIN_VERSION, TLS12_CIPHERS, type TlsMaterial } from "./http/tls.js";
import { registerWebApp } from "./http/web-app.js";
import type { Clock } from "./platform/clock.js";
import { newRequestId } from "./platform/ids.js";
import type { Logger } from "./platform/logger.js";
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
  app.addHook("onRequest", async (request, reply) => {
    reply.header("x-request-id", request.id);
  });

  await registerSecurityHeaders(app);
  await registerOpenApi(app, deps.version);

  openApiRoute(app);
  await app.register(systemRoutes({ config: deps.config, database: deps.database, version: deps.version }));
  await app.register(securityTxtRoutes({ config: deps.config, clock: deps.clock }));
  await registerWebApp(app, deps.webRoot);

  return app;
}

export type App = Awaited<ReturnType<typeof buildApp>>;
