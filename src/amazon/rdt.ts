import type { Clock } from "../platform/clock.js";
import { MS } from "../platform/clock.js";
import type { RestrictedResource } from "./operation-spec.js";

export interface RestrictedToken {
  token: string;
  expiresInSeconds: number;
}

export interface RdtCacheDeps {
  clock: Clock;
  /** Asks the Tokens API (through the client, so rate limits, retries and audit apply). */
  fetch(accountId: string, resource: RestrictedResource): Promise<RestrictedToken>;
  /** Renew this long before Amazon's expiry. */
  earlyMs?: number;
}

function cacheKey(accountId: string, resource: RestrictedResource): string {
  const elements = [...(resource.dataElements ?? [])].sort();
  return JSON.stringify([accountId, resource.method, resource.path, elements]);
}

/**
 * Restricted Data Tokens per (account, method, path, data elements), reused for their lifetime (minus a
 * margin) with one request in flight per key. Tokens live in memory only.
 */
export function createRdtCache(deps: RdtCacheDeps) {
  const early = deps.earlyMs ?? MS.minute;
  const cache = new Map<string, { accountId: string; token: string; expiresAtMs: number }>();
  const inflight = new Map<string, Promise<string>>();

  return {
    token(accountId: string, resource: RestrictedResource): Promise<string> {
      const key = cacheKey(accountId, resource);
      const hit = cache.get(key);
      if (hit && deps.clock.now().getTime() < hit.expiresAtMs - early) return Promise.resolve(hit.token);
      const running = inflight.get(key);
      if (running) return running;
      const startedMs = deps.clock.now().getTime();
      const request = deps
        .fetch(accountId, resource)
        .then((rdt) => {
          cache.set(key, {
            accountId,
            token: rdt.token,
            expiresAtMs: startedMs + rdt.expiresInSeconds * 1000,
          });
          return rdt.token;
        })
        .finally(() => inflight.delete(key));
      inflight.set(key, request);
      return request;
    },

    /** Forgets an account's tokens (Amazon refused one, or the account was revoked). */
    invalidate(accountId: string): void {
      for (const [key, entry] of cache) if (entry.accountId === accountId) cache.delete(key);
    },
  };
}

export type RdtCache = ReturnType<typeof createRdtCache>;
