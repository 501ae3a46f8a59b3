// Same-origin JSON client for the Seller Pilot server.
// Every call resolves to a Result: callers render either the data or a clear error with a stable code.

export interface ApiError {
  /** Stable error code: the server's `error.code`, or a client-side code (NETWORK_ERROR, TIMEOUT, ...). */
  code: string;
  message: string;
  /** HTTP status, when a response was received. */
  status?: number;
  /** The server's request id, to correlate with its logs. */
  requestId?: string;
  /** Safe details the server attached (e.g. `violations` for password rules). */
  details?: Record<string, unknown>;
}

export type Result<T> = { ok: true; data: T; status: number } | { ok: false; error: ApiError };

/** Narrows an unknown JSON value, or returns null when it does not have the expected shape. */
export type Validator<T> = (value: unknown) => T | null;

export interface GetJsonOptions {
  signal?: AbortSignal;
  /** Non-2xx statuses whose body is still a valid payload (e.g. 503 from /readyz). */
  acceptStatuses?: readonly number[];
  timeoutMs?: number;
}

export interface RequestOptions extends GetJsonOptions {
  /** JSON request body (writes). */
  body?: unknown;
  /**
   * Sign-in and second-factor calls: their 401 means "wrong password or code", an answer to show on the form,
   * not a lost session, so it must not trigger the sign-in redirect.
   */
  authFlow?: boolean;
}

const DEFAULT_TIMEOUT_MS = 10_000;

// The CSRF token lives in memory only: it is taken from the session and sign-in answers (which rotate it)
// and sent on every cookie-authenticated write. Never stored in localStorage, where any script could read it.
let csrfToken: string | null = null;
let unauthorizedHandler: ((error: ApiError) => void) | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called once per 401 outside the sign-in flow: the session is gone, so the app returns to sign-in. */
export function onUnauthorized(handler: ((error: ApiError) => void) | null): void {
  unauthorizedHandler = handler;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function parseServerError(body: unknown): Omit<ApiError, "status"> | null {
  if (!isRecord(body) || !isRecord(body.error)) return null;
  const { code, message, requestId, details } = body.error;
  if (typeof code !== "string" || code === "") return null;
  return {
    code,
    message: typeof message === "string" && message !== "" ? message : "The server reported an error.",
    ...(typeof requestId === "string" && requestId !== "" ? { requestId } : {}),
    ...(isRecord(details) ? { details } : {}),
  };
}

export function getJson<T>(
  path: string,
  validate: Validator<T>,
  options: GetJsonOptions = {},
): Promise<Result<T>> {
  return requestJson("GET", path, validate, options);
}

export type Method = "GET" | "POST" | "PATCH" | "PUT" | "DELETE";

export async function requestJson<T>(
  method: Method,
  path: string,
  validate: Validator<T>,
  options: RequestOptions = {},
): Promise<Result<T>> {
  const { signal, acceptStatuses = [], timeoutMs = DEFAULT_TIMEOUT_MS, body, authFlow = false } = options;
  const timeout = AbortSignal.timeout(timeoutMs);
  const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
  const headers: Record<string, string> = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && csrfToken !== null) headers["x-csrf-token"] = csrfToken;

  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: "same-origin",
      cache: "no-store",
      signal: combined,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch (cause) {
    if (signal?.aborted) throw cause; // the caller cancelled: not an error to display
    if (timeout.aborted) {
      return failure({ code: "TIMEOUT", message: `No answer from ${path} within ${timeoutMs / 1000} s.` });
    }
    return failure({ code: "NETWORK_ERROR", message: `Could not reach the server (${path}).` });
  }

  const requestIdHeader = response.headers.get("x-request-id") ?? undefined;
  let payload: unknown = null;
  if (response.status !== 204) {
    try {
      payload = await response.json();
    } catch (cause) {
      if (signal?.aborted) throw cause;
      return failure({
        code: response.ok ? "INVALID_RESPONSE" : `HTTP_${response.status}`,
        message: response.ok
          ? `${path} did not return JSON.`
          : `${path} failed with HTTP ${response.status} ${response.statusText}`.trim(),
        status: response.status,
        ...(requestIdHeader ? { requestId: requestIdHeader } : {}),
      });
    }
  }

  if (!response.ok && !acceptStatuses.includes(response.status)) {
    const serverError = parseServerError(payload);
    const error: ApiError = {
      code: serverError?.code ?? `HTTP_${response.status}`,
      message: serverError?.message ?? `${path} failed with HTTP ${response.status}.`,
      status: response.status,
      ...(serverError?.details ? { details: serverError.details } : {}),
      ...(serverError?.requestId
        ? { requestId: serverError.requestId }
        : requestIdHeader
          ? { requestId: requestIdHeader }
          : {}),
    };
    if (response.status === 401 && !authFlow) unauthorizedHandler?.(error);
    return failure(error);
  }

  // Every answer that carries a (rotated) CSRF token replaces the one in memory.
  if (isRecord(payload) && typeof payload.csrfToken === "string" && payload.csrfToken !== "") {
    csrfToken = payload.csrfToken;
  }

  const data = validate(payload);
  if (data === null) {
    return failure({
      code: "INVALID_RESPONSE",
      message: `${path} returned data in an unexpected shape.`,
      status: response.status,
    });
  }
  return { ok: true, data, status: response.status };
}

function failure<T>(error: ApiError): Result<T> {
  return { ok: false, error };
}

// ---------------------------------------------------------------------------------------------------------
// Endpoint payloads

export interface ReadinessCheck {
  name: string;
  ok: boolean;
  /** The remaining fields of the check, shown as details (e.g. store, applied, pending). */
  details: Record<string, unknown>;
}

export interface Readiness {
  status: "ready" | "not_ready";
  checks: ReadinessCheck[];
}

export const readinessValidator: Validator<Readiness> = (value) => {
  if (!isRecord(value) || !isRecord(value.checks)) return null;
  if (value.status !== "ready" && value.status !== "not_ready") return null;
  const checks: ReadinessCheck[] = [];
  for (const [name, check] of Object.entries(value.checks)) {
    if (!isRecord(check) || typeof check.ok !== "boolean") return null;
    const { ok, ...details } = check;
    checks.push({ name, ok, details });
  }
  return { status: value.status, checks };
};

export interface Meta {
  product: string;
  version: string;
  mode: "demo" | "connected";
  securityContact: string;
  docs: { openapi?: string; securityTxt?: string };
}

export const metaValidator: Validator<Meta> = (value) => {
  if (!isRecord(value)) return null;
  const { product, version, mode, securityContact, docs } = value;
  if (typeof product !== "string" || typeof version !== "string" || typeof securityContact !== "string") {
    return null;
  }
  if (mode !== "demo" && mode !== "connected") return null;
  const links: Meta["docs"] = {};
  if (isRecord(docs)) {
    if (typeof docs.openapi === "string") links.openapi = docs.openapi;
    if (typeof docs.securityTxt === "string") links.securityTxt = docs.securityTxt;
  }
  return { product, version, mode, securityContact, docs: links };
};

export const fetchReadiness = (signal?: AbortSignal) =>
  getJson("/readyz", readinessValidator, { acceptStatuses: [503], ...(signal ? { signal } : {}) });

export const fetchMeta = (signal?: AbortSignal) =>
  getJson("/api/meta", metaValidator, signal ? { signal } : {});

/** Only same-origin paths, https: and mailto: links are rendered as links; anything else is shown as text. */
export function safeHref(value: string): string | null {
  if (value.startsWith("/") && !value.startsWith("//")) return value;
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "mailto:" ? url.href : null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Small building blocks for validators: each returns null when the value does not fit.

/** For 204 answers and bodies whose content the caller does not use. */
export const anyBody: Validator<true> = () => true;

export function optString(value: unknown): string | null | undefined {
  if (value === undefined) return undefined;
  if (value === null) return null;
  return typeof value === "string" ? value : undefined;
}

export function stringArray(value: unknown): string[] | null {
  if (!Array.isArray(value)) return null;
  return value.every((item): item is string => typeof item === "string") ? value : null;
}

/** Validates every item; one bad item rejects the whole list (a partial list would mislead). */
export function arrayOf<T>(value: unknown, item: Validator<T>): T[] | null {
  if (!Array.isArray(value)) return null;
  const out: T[] = [];
  for (const entry of value) {
    const parsed = item(entry);
    if (parsed === null) return null;
    out.push(parsed);
  }
  return out;
}
