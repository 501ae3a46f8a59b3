import type { AuditSink } from "../audit/audit-sink.js";
import type { Clock } from "../platform/clock.js";
import { AppError } from "../platform/errors.js";
import { abortError, type Sleep, throwIfAborted, untilAborted } from "./abort.js";
import { type EndpointOverrides, resolveEndpoints, type SpApiRegion } from "./endpoints.js";
import { APPLICATION_OPERATIONS, assertAllowed, type FeatureName } from "./features.js";
import { type LwaClient, ROTATION_SCOPE } from "./lwa.js";
import {
  type CallOptions,
  errorListSchema,
  type QueryValue,
  type SpApiCaller,
  type SpApiRequest,
} from "./operation-spec.js";
import { createRestrictedDataTokenRequest } from "./operations/tokens.js";
import type { RateLimiter } from "./rate-limiter.js";
import { createRdtCache } from "./rdt.js";
import {
  type BackoffPolicy,
  backoffDelay,
  DEFAULT_BACKOFF,
  type HttpTransport,
  headerValue,
  readBody,
  TransportError,
} from "./transport.js";

/** What the client needs to know about a seller account before calling Amazon for it. */
export interface AccountProfile {
  region: SpApiRegion;
  features: readonly FeatureName[];
}

export interface SpApiClientDeps {
  overrides: EndpointOverrides;
  accounts: { profile(accountId: string): Promise<AccountProfile> };
  lwa: Pick<LwaClient, "accessToken" | "grantlessToken" | "invalidate" | "invalidateGrantless">;
  limiter: Pick<RateLimiter, "acquire" | "adopt" | "throttled" | "observeLatency">;
  transport: HttpTransport;
  audit: AuditSink;
  clock: Clock;
  sleep: Sleep;
  random?: () => number;
  backoff?: BackoffPolicy;
  /** Region whose endpoint application-level (grantless) calls use. */
  applicationRegion?: SpApiRegion;
}

const APPLICATION_OWNER = "application";
const DEFAULT_ACTOR = "system:spapi-client";
/** 403 details that mean "this token is no good any more", not "you may not". */
const STALE_TOKEN = /expired|revoked, malformed or invalid/i;

function queryString(query: Record<string, QueryValue> | undefined): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value === undefined) continue;
    if (Array.isArray(value)) {
      if (value.length > 0) params.set(name, value.join(","));
    } else params.set(name, String(value));
  }
  const s = params.toString();
  return s ? `?${s}` : "";
}

function amazonErrorCode(body: string): string | undefined {
  try {
    const code = errorListSchema.safeParse(JSON.parse(body)).data?.errors[0]?.code;
    return code && /^[A-Za-z0-9_. -]{1,64}$/.test(code) ? code : undefined;
  } catch {
    return undefined;
  }
}

function amazonErrorDetails(body: string): string {
  try {
    const first = errorListSchema.safeParse(JSON.parse(body)).data?.errors[0];
    return `${first?.message ?? ""} ${first?.details ?? ""}`;
  } catch {
    return "";
  }
}

/**
 * The one SP-API client (rule 4). Every call runs: feature allowlist -> LWA token (or RDT) -> token bucket
 * -> HTTPS -> retries (capped exponential backoff, full jitter) -> zod validation -> audit event.
 */
export function createSpApiClient(deps: SpApiClientDeps) {
  const { clock, lwa, limiter, transport } = deps;
  const policy = deps.backoff ?? DEFAULT_BACKOFF;
  const random = deps.random ?? Math.random;
  const rdt = createRdtCache({
    clock,
    fetch: async (accountId, resource) => {
      const res = await execute(accountId, createRestrictedDataTokenRequest([resource]), {}, true);
      return { token: res.restrictedDataToken, expiresInSeconds: res.expiresIn };
    },
  });

  async function audit(
    accountId: string | null,
    request: SpApiRequest<unknown>,
    outcome: "success" | "failure" | "denied",
    options: CallOptions,
    reason?: string,
  ): Promise<void> {
    const elements = [...(request.includedData ?? []), ...(request.restricted?.dataElements ?? [])];
    await deps.audit.record({
      action: "spapi.call",
      actor: options.actor ?? DEFAULT_ACTOR,
      outcome,
      target: {
        account: accountId ?? APPLICATION_OWNER,
        operation: request.operation,
        dataElements: elements.length > 0 ? [...new Set(elements)].sort().join(",") : "none",
      },
      ...(reason ? { reason } : {}),
    });
  }

  async function tokenFor(accountId: string | null, request: SpApiRequest<unknown>): Promise<string> {
    if (accountId === null) return lwa.grantlessToken(ROTATION_SCOPE);
    if (request.restricted) return rdt.token(accountId, request.restricted);
    return lwa.accessToken(accountId);
  }

  function forgetToken(accountId: string | null, request: SpApiRequest<unknown>): void {
    if (accountId === null) lwa.invalidateGrantless(ROTATION_SCOPE);
    else if (request.restricted) rdt.invalidate(accountId);
    else lwa.invalidate(accountId);
  }

  async function attempt<T>(
    accountId: string | null,
    request: SpApiRequest<T>,
    url: string,
    signal: AbortSignal | undefined,
  ): Promise<{ kind: "ok"; value: T } | { kind: "retry"; error: AppError; staleToken?: boolean }> {
    const owner = accountId ?? APPLICATION_OWNER;
    throwIfAborted(signal);
    // Token first: a refresh that ran after the slot was reserved would hold the request back and then
    // release it together with later slots, a burst Amazon answers with 429. Asked again after the wait
    // (a cache hit) in case the wait outlived it.
    await untilAborted(tokenFor(accountId, request), signal);
    await limiter.acquire(owner, request.operation, signal);
    const token = await untilAborted(tokenFor(accountId, request), signal);
    const headers: Record<string, string> = { "x-amz-access-token": token, accept: "application/json" };
    let payload: string | undefined;
    if (request.body !== undefined) {
      headers["content-type"] = "application/json";
      payload = JSON.stringify(request.body);
    }
    let status: number;
    let body: string;
    try {
      const sentAt = clock.now().getTime();
      const res = await transport.send({ method: request.method, url, headers, body: payload, signal });
      limiter.observeLatency(clock.now().getTime() - sentAt);
      status = res.status;
      await limiter.adopt(owner, request.operation, headerValue(res.headers, "x-amzn-ratelimit-limit"));
      body = await readBody(res.body);
    } catch (err) {
      // A body cut short by the abort reads as a network failure; it is the abort, not worth a retry.
      if (signal?.aborted) throw abortError(signal);
      if (!(err instanceof TransportError)) throw err;
      const error = new AppError("SPAPI_UNAVAILABLE", undefined, {
        details: { operation: request.operation, network: true },
        cause: err,
      });
      if (request.retryServerErrors === false) throw error;
      return { kind: "retry", error };
    }
    const details = { operation: request.operation, status };
    if (status === 429) {
      await limiter.throttled(owner, request.operation);
      return { kind: "retry", error: new AppError("SPAPI_THROTTLED", undefined, { details }) };
    }
    if (status >= 500) {
      const error = new AppError("SPAPI_UNAVAILABLE", undefined, { details });
      if (request.retryServerErrors === false) throw error;
      return { kind: "retry", error };
    }
    if (status === 401 || (status === 403 && STALE_TOKEN.test(amazonErrorDetails(body)))) {
      forgetToken(accountId, request);
      const error = new AppError("SPAPI_REQUEST_REFUSED", "Amazon refused the access token.", {
        details: { ...details, amazonCode: amazonErrorCode(body) },
      });
      return { kind: "retry", error, staleToken: true };
    }
    if (status < 200 || status >= 300) {
      throw new AppError("SPAPI_REQUEST_REFUSED", undefined, {
        details: { ...details, amazonCode: amazonErrorCode(body) },
      });
    }
    if (request.response === null) return { kind: "ok", value: undefined as T };
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      throw new AppError("SPAPI_BAD_RESPONSE", "Amazon's response is not valid JSON.", { details });
    }
    const parsed = request.response.safeParse(json);
    if (!parsed.success) {
      // Paths only: values may be Amazon Information.
      const paths = parsed.error.issues.slice(0, 5).map((i) => i.path.join("."));
      throw new AppError("SPAPI_BAD_RESPONSE", "Amazon's response does not have the expected shape.", {
        details: { ...details, paths },
      });
    }
    return { kind: "ok", value: parsed.data };
  }

  async function execute<T>(
    accountId: string | null,
    request: SpApiRequest<T>,
    options: CallOptions,
    featuresChecked = false,
  ): Promise<T> {
    let region: SpApiRegion;
    try {
      if (accountId === null) {
        if (!APPLICATION_OPERATIONS.includes(request.operation)) {
          throw new AppError("SPAPI_FEATURE_DISABLED", undefined, {
            details: { operation: request.operation, reason: "needs a seller account" },
          });
        }
        region = deps.applicationRegion ?? "na";
      } else {
        const profile = await deps.accounts.profile(accountId);
        if (!featuresChecked) {
          assertAllowed(profile.features, {
            operation: request.operation,
            includedData: request.includedData ?? [],
            dataElements: request.restricted?.dataElements ?? [],
          });
        }
        region = profile.region;
      }
    } catch (err) {
      const code = err instanceof AppError ? err.code : "INTERNAL";
      await audit(
        accountId,
        request,
        code === "SPAPI_FEATURE_DISABLED" ? "denied" : "failure",
        options,
        code,
      );
      throw err;
    }

    try {
      const url = `${resolveEndpoints(region, deps.overrides).spapi}${request.path}${queryString(request.query)}`;
      let staleRetries = 0;
      for (let n = 1; ; n++) {
        const result = await attempt(accountId, request, url, options.signal);
        if (result.kind === "ok") {
          await audit(accountId, request, "success", options);
          return result.value;
        }
        if (result.staleToken) {
          // One fresh token is worth a try; a second refusal is final.
          if (++staleRetries > 1) throw result.error;
          n--;
          continue;
        }
        if (n >= policy.maxAttempts) throw result.error;
        await deps.sleep(backoffDelay(n, policy, random), options.signal);
        throwIfAborted(options.signal);
      }
    } catch (err) {
      await audit(accountId, request, "failure", options, err instanceof AppError ? err.code : "INTERNAL");
      throw err;
    }
  }

  const client = {
    call<T>(accountId: string | null, request: SpApiRequest<T>, options: CallOptions = {}): Promise<T> {
      return execute(accountId, request, options);
    },
    /** Drops every cached token of an account (after its authorization was revoked). */
    forgetAccount(accountId: string): void {
      lwa.invalidate(accountId);
      rdt.invalidate(accountId);
    },
  } satisfies SpApiCaller & Record<string, unknown>;
  return client;
}

export type SpApiClient = ReturnType<typeof createSpApiClient>;
