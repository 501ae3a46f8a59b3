import { z } from "zod";
import type { HttpRequest } from "./transport.js";
import type { SpApiOperation } from "./usage-plans.js";

/** A Restricted Data Token's scope: one method + path template, and the restricted data elements. */
export interface RestrictedResource {
  method: HttpRequest["method"];
  /** The path as Amazon's model writes it, e.g. /orders/v0/orders/{orderId}/address. */
  path: string;
  dataElements?: readonly string[];
}

export type QueryValue = string | number | boolean | readonly string[] | undefined;

/** One SP-API call, described by an operation module; the client does everything else. */
export interface SpApiRequest<T> {
  operation: SpApiOperation;
  method: HttpRequest["method"];
  /** Path with parameters already encoded (encodePath). */
  path: string;
  query?: Record<string, QueryValue>;
  body?: unknown;
  /** Orders `includedData` datasets: checked against the enabled features, named in the audit event. */
  includedData?: readonly string[];
  /** When set, the call carries a Restricted Data Token for this resource instead of the LWA token. */
  restricted?: RestrictedResource;
  /** The response schema; null when Amazon answers without a body (204). */
  response: z.ZodType<T> | null;
  /**
   * Whether a 5xx or a dropped connection may be retried. False for calls that must not run twice (secret
   * rotation): only a 429, which Amazon answers before doing anything, is retried then.
   */
  retryServerErrors?: boolean;
}

export interface CallOptions {
  /** Who asked (user id, job name); recorded in the audit event. */
  actor?: string;
  /**
   * Ends the call early: the rate-limit wait, the HTTP request in flight and the backoff between retries stop
   * at once and the call rejects with SYNC_ABORTED (see abortError).
   */
  signal?: AbortSignal;
}

/** What operation modules need from the client. accountId null = an application-level (grantless) call. */
export interface SpApiCaller {
  call<T>(accountId: string | null, request: SpApiRequest<T>, options?: CallOptions): Promise<T>;
}

/** Encodes a path parameter (order ids, report ids, ...) as one segment. */
export function encodeSegment(value: string): string {
  return encodeURIComponent(value);
}

// Shared schema pieces, bounded so a hostile or broken response cannot make us hold arbitrary data.
export const text = (max = 2_000) => z.string().max(max);
export const id = () => z.string().min(1).max(200);
export const isoDateTime = () => z.string().max(40);
export const list = <T extends z.ZodType>(item: T, max = 10_000) => z.array(item).max(max);

/** Amazon's error body, `{"errors":[{code,message,details}]}`. */
export const errorListSchema = z.object({
  errors: list(
    z.object({
      code: text(200),
      message: text(4_000).optional(),
      details: text(4_000).optional(),
    }),
    100,
  ),
});
