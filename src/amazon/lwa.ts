import { z } from "zod";
import type { Clock } from "../platform/clock.js";
import { MS } from "../platform/clock.js";
import { AppError } from "../platform/errors.js";
import { CLIENT_SECRET_NAME } from "../secrets/client-secret-age.js";
import type { SecretsStore } from "../secrets/secrets-store.js";
import {
  type BackoffPolicy,
  backoffDelay,
  DEFAULT_BACKOFF,
  type HttpTransport,
  readBody,
  TransportError,
} from "./transport.js";

/** Where the secrets store keeps an account's LWA refresh token (its only home). */
export const refreshTokenSecretName = (accountId: string) => `lwa.refresh_token.${accountId}`;
export const ROTATION_SCOPE = "sellingpartnerapi::client_credential:rotation";
const COMPONENT = "amazon.lwa";

/** Access tokens are renewed this long before Amazon's expiry, so no call goes out with a dying token. */
export const DEFAULT_REFRESH_EARLY_MS = 5 * MS.minute;

const tokenResponse = z.object({
  access_token: z.string().min(1).max(4096),
  refresh_token: z.string().min(1).max(4096).optional(),
  token_type: z.string().max(64).optional(),
  expires_in: z.number().int().positive().max(86_400),
});
const errorResponse = z.object({ error: z.string().regex(/^[a-z_]{1,64}$/) });

export interface LwaDeps {
  tokenUrl: string;
  clientId: string;
  secrets: Pick<SecretsStore, "get">;
  transport: HttpTransport;
  clock: Clock;
  /** How the client waits between retries (tests move a clock instead of waiting). */
  sleep: (ms: number) => Promise<void>;
  random?: () => number;
  backoff?: BackoffPolicy;
  refreshEarlyMs?: number;
}

export interface AuthorizationCodeGrant {
  refreshToken: string;
  accessToken: string;
  expiresInSeconds: number;
}

interface CachedToken {
  value: string;
  expiresAtMs: number;
}

type Grant =
  | { kind: "refresh"; accountId: string }
  | { kind: "code"; code: string; redirectUri: string }
  | { kind: "client"; scope: string; clientSecret?: string };

/**
 * Login with Amazon. Access tokens are cached per seller account (and per grantless scope), renewed early,
 * and at most one renewal per account is in flight: concurrent callers share it. Refresh tokens and the
 * client secret are read from the secrets store when needed and never kept, logged or returned.
 */
export function createLwaClient(deps: LwaDeps) {
  const { clock, transport } = deps;
  const policy = deps.backoff ?? DEFAULT_BACKOFF;
  const random = deps.random ?? Math.random;
  const early = deps.refreshEarlyMs ?? DEFAULT_REFRESH_EARLY_MS;
  const cache = new Map<string, CachedToken>();
  const inflight = new Map<string, Promise<string>>();
  /** Bumped by invalidate: a renewal begun before it (with the old refresh token) must not fill the cache. */
  const generations = new Map<string, number>();

  async function post(grant: Grant): Promise<z.infer<typeof tokenResponse>> {
    const clientSecret =
      grant.kind === "client" && grant.clientSecret !== undefined
        ? grant.clientSecret
        : await deps.secrets.get(CLIENT_SECRET_NAME, { component: COMPONENT });
    const form = new URLSearchParams({ client_id: deps.clientId, client_secret: clientSecret });
    if (grant.kind === "refresh") {
      form.set("grant_type", "refresh_token");
      form.set(
        "refresh_token",
        await deps.secrets.get(refreshTokenSecretName(grant.accountId), { component: COMPONENT }),
      );
    } else if (grant.kind === "code") {
      form.set("grant_type", "authorization_code");
      form.set("code", grant.code);
      form.set("redirect_uri", grant.redirectUri);
    } else {
      form.set("grant_type", "client_credentials");
      form.set("scope", grant.scope);
    }
    const body = form.toString();
    for (let attempt = 1; ; attempt++) {
      let status: number;
      let text: string;
      try {
        const res = await transport.send({
          method: "POST",
          url: deps.tokenUrl,
          headers: { "content-type": "application/x-www-form-urlencoded;charset=UTF-8" },
          body,
        });
        status = res.status;
        text = await readBody(res.body, 64 * 1024);
      } catch (err) {
        if (!(err instanceof TransportError)) throw err;
        if (attempt >= policy.maxAttempts) {
          throw new AppError("SPAPI_UNAVAILABLE", "Login with Amazon could not be reached.", { cause: err });
        }
        await deps.sleep(backoffDelay(attempt, policy, random));
        continue;
      }
      if (status === 429 || status >= 500) {
        if (attempt >= policy.maxAttempts) {
          throw new AppError(status === 429 ? "SPAPI_THROTTLED" : "SPAPI_UNAVAILABLE", undefined, {
            details: { service: "lwa", status },
          });
        }
        await deps.sleep(backoffDelay(attempt, policy, random));
        continue;
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw new AppError("SPAPI_BAD_RESPONSE", "Login with Amazon answered with a body that is not JSON.", {
          details: { service: "lwa", status },
        });
      }
      if (status === 200) {
        const parsed = tokenResponse.safeParse(json);
        if (!parsed.success) {
          throw new AppError("SPAPI_BAD_RESPONSE", "Login with Amazon answered without a usable token.", {
            details: { service: "lwa", status },
          });
        }
        return parsed.data;
      }
      const error = errorResponse.safeParse(json).data?.error ?? "unknown";
      if (error === "invalid_grant" && grant.kind === "refresh") {
        throw new AppError("SPAPI_AUTHORIZATION_REVOKED", undefined, { details: { service: "lwa" } });
      }
      if (error === "invalid_client") {
        throw new AppError("SPAPI_CLIENT_REJECTED", undefined, { details: { service: "lwa" } });
      }
      throw new AppError(
        "SPAPI_REQUEST_REFUSED",
        grant.kind === "code"
          ? "Login with Amazon refused the authorization code (invalid, expired or already used)."
          : "Login with Amazon refused the request.",
        { details: { service: "lwa", status, error } },
      );
    }
  }

  function cached(key: string, grant: Grant): Promise<string> {
    const hit = cache.get(key);
    if (hit && clock.now().getTime() < hit.expiresAtMs - early) return Promise.resolve(hit.value);
    const running = inflight.get(key);
    if (running) return running;
    const startedMs = clock.now().getTime();
    const generation = generations.get(key) ?? 0;
    const current = () => (generations.get(key) ?? 0) === generation;
    const renewal: Promise<string> = post(grant)
      .then((token) => {
        if (current())
          cache.set(key, { value: token.access_token, expiresAtMs: startedMs + token.expires_in * 1000 });
        return token.access_token;
      })
      .catch((err: unknown) => {
        if (current() && err instanceof AppError && err.code === "SPAPI_AUTHORIZATION_REVOKED")
          cache.delete(key);
        throw err;
      })
      .finally(() => {
        if (inflight.get(key) === renewal) inflight.delete(key);
      });
    inflight.set(key, renewal);
    return renewal;
  }

  function forget(key: string): void {
    cache.delete(key);
    // A renewal still running reads the refresh token as it was: later callers start their own.
    inflight.delete(key);
    generations.set(key, (generations.get(key) ?? 0) + 1);
  }

  return {
    /** An access token for the seller account, from the cache while it has more than `early` left. */
    accessToken(accountId: string): Promise<string> {
      return cached(`seller:${accountId}`, { kind: "refresh", accountId });
    },

    /** A grantless token (client_credentials) for an application-level scope, e.g. secret rotation. */
    grantlessToken(scope: string): Promise<string> {
      return cached(`grantless:${scope}`, { kind: "client", scope });
    },

    /** Forgets a token Amazon no longer accepts (expired early, or the seller revoked the app). */
    invalidate(accountId: string): void {
      forget(`seller:${accountId}`);
    },

    invalidateGrantless(scope: string): void {
      forget(`grantless:${scope}`);
    },

    /**
     * The connect flow: exchanges a consent's `spapi_oauth_code` for the refresh token. The caller seals the
     * refresh token in the secrets store at once; it is returned, never stored or logged, here.
     */
    async exchangeAuthorizationCode(code: string, redirectUri: string): Promise<AuthorizationCodeGrant> {
      const token = await post({ kind: "code", code, redirectUri });
      if (token.refresh_token === undefined) {
        throw new AppError("SPAPI_BAD_RESPONSE", "Login with Amazon returned no refresh token.");
      }
      return {
        refreshToken: token.refresh_token,
        accessToken: token.access_token,
        expiresInSeconds: token.expires_in,
      };
    },

    /**
     * Checks a client secret against LWA without caching anything (rotation verifies the new secret this
     * way before promoting it). Resolves when LWA accepts it; SPAPI_CLIENT_REJECTED when it does not.
     */
    async verifyClientSecret(clientSecret: string, scope = ROTATION_SCOPE): Promise<void> {
      await post({ kind: "client", scope, clientSecret });
    },
  };
}

export type LwaClient = ReturnType<typeof createLwaClient>;
