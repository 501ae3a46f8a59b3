import http, { type IncomingHttpHeaders } from "node:http";
import https from "node:https";
import type { Readable } from "node:stream";
import { AppError } from "../platform/errors.js";
import { abortError, throwIfAborted } from "./abort.js";
import { checkOutboundUrl } from "./endpoints.js";

/**
 * The only place in Seller Pilot that opens sockets to Amazon (SP-API, LWA, report documents). https goes
 * through an agent that refuses anything below TLS 1.2; plain http is possible only for loopback URLs
 * (checkOutboundUrl), i.e. the sandbox.
 */
export interface HttpRequest {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  url: string;
  headers?: Record<string, string>;
  body?: string;
  /** Aborting destroys the request (and a response body still being read); send rejects with abortError. */
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** Must be consumed or destroyed by the caller. */
  body: Readable;
}

export interface HttpTransport {
  send(request: HttpRequest): Promise<HttpResponse>;
  close(): void;
}

/** A connection failure, reset or timeout: the request may be retried. */
export class TransportError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "TransportError";
  }
}

export interface TransportOptions {
  /** Real milliseconds without a byte before a request is abandoned. */
  timeoutMs?: number;
  maxSockets?: number;
  /** Extra trusted CA certificates (PEM), e.g. for a corporate proxy or a TLS test server. */
  ca?: string | undefined;
}

export const MIN_TLS_VERSION = "TLSv1.2" as const;

export function createHttpTransport(options: TransportOptions = {}): HttpTransport {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const maxSockets = options.maxSockets ?? 64;
  const httpsAgent = new https.Agent({
    keepAlive: true,
    maxSockets,
    minVersion: MIN_TLS_VERSION,
    ...(options.ca ? { ca: options.ca } : {}),
  });
  const httpAgent = new http.Agent({ keepAlive: true, maxSockets });

  return {
    async send(request) {
      const url = checkOutboundUrl(request.url);
      const secure = url.protocol === "https:";
      const { signal } = request;
      throwIfAborted(signal);
      return new Promise<HttpResponse>((resolve, reject) => {
        const headers: Record<string, string> = { "user-agent": "SellerPilot/0.1 (Language=Node.js)" };
        Object.assign(headers, request.headers);
        if (request.body !== undefined) headers["content-length"] = String(Buffer.byteLength(request.body));
        const req = (secure ? https : http).request(url, {
          method: request.method,
          headers,
          agent: secure ? httpsAgent : httpAgent,
          timeout: timeoutMs,
          ...(signal ? { signal } : {}),
        });
        req.on("timeout", () => req.destroy(new TransportError("request timed out")));
        req.on("error", (err) => {
          if (signal?.aborted) reject(abortError(signal));
          else
            reject(
              err instanceof TransportError ? err : new TransportError("connection failed", { cause: err }),
            );
        });
        req.on("response", (res) => {
          res.on("error", () => undefined);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res });
        });
        req.end(request.body);
      });
    },
    close() {
      httpsAgent.destroy();
      httpAgent.destroy();
    },
  };
}

/** Reads a whole (small) body; anything larger than `maxBytes` is a bad response, never a memory blow-up. */
export async function readBody(body: Readable, maxBytes = 8 * 1024 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      const buf = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer);
      size += buf.length;
      if (size > maxBytes) {
        body.destroy();
        throw new AppError("SPAPI_BAD_RESPONSE", "Amazon's response body is larger than expected.");
      }
      chunks.push(buf);
    }
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new TransportError("response body interrupted", { cause: err });
  }
  return Buffer.concat(chunks).toString("utf8");
}

export interface BackoffPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { maxAttempts: 5, baseDelayMs: 1_000, maxDelayMs: 30_000 };

/** Capped exponential backoff with full jitter: a uniform wait in [0, min(max, base * 2^(n-1))). */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(Math.min(0.999999, Math.max(0, random())) * ceiling);
}

export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}
