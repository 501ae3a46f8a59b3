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

const DEFAULT_TIMEOUT_MS = 10_000;

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function parseServerError(body: unknown): Pick<ApiError, "code" | "message" | "requestId"> | null {
  if (!isRecord(body) || !isRecord(body.error)) return null;
  const { code, message, requestId } = body.error;
  if (typeof code !== "string" || code === "") return null;
  return {
    code,
    message: typeof message === "string" && message !== "" ? message : "The server reported an error.",
    ...(typeof requestId === "string" && requestId !== "" ? { requestId } : {}),
  };
}

export async function getJson<T>(
  path: string,
  validate: Validator<T>,
  options: GetJsonOptions = {},
): Promise<Result<T>> {
  const { signal, acceptStatuses = [], timeoutMs = DEFAULT_TIMEOUT_MS } = options;
  const timeout = AbortSignal.timeout(timeoutMs);
  const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;

  let response: Response;
  try {
    response = await fetch(path, {
      method: "GET",
      headers: { Accept: "application/json" },
      credentials: "same-origin",
      cache: "no-store",
      signal: combined,
    });
  } catch (cause) {
    if (signal?.aborted) throw cause; // the caller cancelled: not an error to display
    if (timeout.aborted) {
      return failure({ code: "TIMEOUT", message: `No answer from ${path} within ${timeoutMs / 1000} s.` });
    }
    return failure({ code: "NETWORK_ERROR", message: `Could not reach the server (${path}).` });
  }

  const requestIdHeader = response.headers.get("x-request-id") ?? undefined;
  let body: unknown;
  try {
    body = await response.json();
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

  if (!response.ok && !acceptStatuses.includes(response.status)) {
    const serverError = parseServerError(body);
    return failure({
      code: serverError?.code ?? `HTTP_${response.status}`,
      message: serverError?.message ?? `${path} failed with HTTP ${response.status}.`,
      status: response.status,
      ...(serverError?.requestId
        ? { requestId: serverError.requestId }
        : requestIdHeader
          ? { requestId: requestIdHeader }
          : {}),
    });
  }

  const data = validate(body);
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
