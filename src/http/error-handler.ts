import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { hasZodFastifySchemaValidationErrors } from "fastify-type-provider-zod";
import { AppError, ERROR_CODES, type ErrorCode, isAppError } from "../platform/errors.js";
import { safeError } from "../platform/redact.js";
import type { HttpsApp } from "./types.js";

export interface ErrorBody {
  error: { code: ErrorCode; message: string; requestId: string; details?: Record<string, unknown> };
}

const FASTIFY_CODES: Readonly<Record<string, ErrorCode>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: "PAYLOAD_TOO_LARGE",
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "UNSUPPORTED_MEDIA_TYPE",
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: "MALFORMED_BODY",
  FST_ERR_CTP_EMPTY_JSON_BODY: "MALFORMED_BODY",
  FST_ERR_CTP_INVALID_JSON_BODY: "MALFORMED_BODY",
  FST_ERR_CTP_INVALID_TYPE: "MALFORMED_BODY",
  FST_ERR_BAD_URL: "BAD_REQUEST",
  FST_ERR_ASYNC_CONSTRAINT: "BAD_REQUEST",
};

const STATUS_CODES: Readonly<Record<number, ErrorCode>> = {
  404: "NOT_FOUND",
  405: "METHOD_NOT_ALLOWED",
  406: "NOT_ACCEPTABLE",
  408: "REQUEST_TIMEOUT",
  413: "PAYLOAD_TOO_LARGE",
  415: "UNSUPPORTED_MEDIA_TYPE",
  429: "RATE_LIMITED",
};

/** Maps anything thrown to a catalog code. Only 4xx details the caller caused are ever echoed back. */
export function toAppError(err: unknown): AppError {
  if (isAppError(err)) return err;
  if (hasZodFastifySchemaValidationErrors(err)) {
    const issues = err.validation.slice(0, 20).map((v) => ({
      location: err.validationContext ?? "request",
      path: v.instancePath || "/",
      message: String(v.message ?? "invalid").slice(0, 200),
    }));
    return new AppError("VALIDATION_FAILED", undefined, { details: { issues }, cause: err });
  }
  const fastifyError = err as Partial<FastifyError>;
  if (err instanceof SyntaxError && fastifyError.statusCode === 400) {
    return new AppError("MALFORMED_BODY", undefined, { cause: err });
  }
  const status = fastifyError.statusCode;
  if (typeof status === "number" && status >= 400 && status < 500) {
    const byCode = fastifyError.code ? FASTIFY_CODES[fastifyError.code] : undefined;
    return new AppError(byCode ?? STATUS_CODES[status] ?? "BAD_REQUEST", undefined, { cause: err });
  }
  return new AppError("INTERNAL", undefined, { cause: err });
}

export function errorBody(error: AppError, requestId: string): ErrorBody {
  return {
    error: {
      code: error.code,
      // Internal errors never echo their own message: it may carry SQL, paths or values.
      message: error.status >= 500 ? ERROR_CODES[error.code].message : error.message,
      requestId,
      ...(error.details && error.status < 500 ? { details: error.details } : {}),
    },
  };
}

export function sendError(request: FastifyRequest, reply: FastifyReply, err: unknown): FastifyReply {
  const appError = toAppError(err);
  if (appError.status >= 500) {
    request.log.error({ err: safeError(err), code: appError.code }, "request failed");
  } else {
    request.log.info({ code: appError.code }, "request refused");
  }
  return reply
    .code(appError.status)
    .header("cache-control", "no-store")
    .type("application/json; charset=utf-8")
    .send(errorBody(appError, String(request.id)));
}

export function registerErrorHandling(app: HttpsApp): void {
  app.setErrorHandler((err, request, reply) => sendError(request, reply, err));
}
