import type http from "node:http";
import type https from "node:https";
import type { FastifyBaseLogger, FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";

/** The application instance as buildApp creates it: HTTPS, zod schemas. */
export type HttpsApp = FastifyInstance<
  https.Server,
  http.IncomingMessage,
  http.ServerResponse,
  FastifyBaseLogger,
  ZodTypeProvider
>;
