import { randomUUID } from "node:crypto";
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from "fastify";
import type { SandboxContext } from "./context.js";
import { denied, spapiError } from "./errors.js";
import { ROTATION_SCOPE, type SellerAuth } from "./lwa-state.js";
import type { Operation } from "./rate-limits.js";

export interface Principal {
  seller: SellerAuth | undefined;
  /** Present when the call was made with a Restricted Data Token. */
  restricted: boolean;
}

const principals = new WeakMap<FastifyRequest, Principal>();
const malformed = new WeakSet<FastifyRequest>();

/** The seller the request's access token belongs to (set by the guard before any handler runs). */
export function sellerOf(request: FastifyRequest): SellerAuth {
  const seller = principals.get(request)?.seller;
  if (!seller) throw new Error("route used without the SP-API guard");
  return seller;
}

export function isMalformed(request: FastifyRequest): boolean {
  return malformed.has(request);
}

const GRANTLESS: ReadonlySet<Operation> = new Set(["rotateApplicationClientSecret"]);

function pathMatches(pattern: string, path: string): boolean {
  const a = pattern.split("/");
  const b = path.split("/");
  return (
    a.length === b.length && a.every((seg, i) => (seg.startsWith("{") && seg.endsWith("}")) || seg === b[i])
  );
}

function throttled(reply: FastifyReply, rate: number) {
  reply.header("x-amzn-RateLimit-Limit", String(rate));
  return spapiError(reply, 429, "QuotaExceeded", "You exceeded your quota for the requested resource.");
}

/**
 * Runs in front of every SP-API operation, in Amazon's order: injected faults, the access token (LWA or
 * RDT) of a seller, then that (seller, application, operation) token bucket.
 */
export function spapiGuard(ctx: SandboxContext, operation: Operation): preHandlerAsyncHookHandler {
  return async (request, reply) => {
    reply.header("x-amzn-RequestId", randomUUID());
    const { latencyMs } = ctx.faults.settings;
    if (latencyMs > 0) await ctx.delay(latencyMs);
    const status = ctx.faults.takeServerError();
    if (status !== undefined) {
      return status === 503
        ? spapiError(
            reply,
            503,
            "ServiceUnavailable",
            "Service is temporarily unavailable. Please try again.",
          )
        : spapiError(reply, 500, "InternalFailure", "We encountered an internal error. Please try again.");
    }
    if (ctx.faults.takeThrottle()) return throttled(reply, ctx.limiter.plan(operation).rate);

    const token = request.headers["x-amz-access-token"];
    if (typeof token !== "string" || token === "") {
      return denied(reply, "Access token is missing in the request header.");
    }
    const now = ctx.time.now();
    let principal: Principal;
    let bucketOwner: string;
    const rdt = ctx.lwa.restrictedGrant(token);
    if (rdt) {
      if (now >= rdt.expiresMs) return denied(reply, "The access token you provided has expired.");
      const path = request.url.split("?")[0] ?? "";
      if (!rdt.resources.some((r) => r.method === request.method && pathMatches(r.path, path))) {
        return denied(reply, "The Restricted Data Token does not cover this request.");
      }
      principal = { seller: ctx.lwa.sellers.get(rdt.sellingPartnerId), restricted: true };
      bucketOwner = rdt.sellingPartnerId;
    } else {
      const grant = ctx.lwa.accessGrant(token);
      if (!grant) return denied(reply, "The access token you provided is revoked, malformed or invalid.");
      if (now >= grant.expiresMs) return denied(reply, "The access token you provided has expired.");
      if (GRANTLESS.has(operation)) {
        if (grant.kind !== "grantless" || grant.scope !== ROTATION_SCOPE) {
          return denied(
            reply,
            "This operation needs a grantless token with the client credential rotation scope.",
          );
        }
        principal = { seller: undefined, restricted: false };
        bucketOwner = "grantless";
      } else {
        if (grant.kind !== "seller") return denied(reply, "A grantless token cannot call this operation.");
        principal = { seller: ctx.lwa.sellers.get(grant.sellingPartnerId), restricted: false };
        bucketOwner = grant.sellingPartnerId;
      }
    }

    const decision = ctx.limiter.take(bucketOwner, ctx.lwa.applicationId, operation, now);
    if (!decision.allowed) return throttled(reply, decision.plan.rate);
    reply.header("x-amzn-RateLimit-Limit", String(decision.plan.rate));
    principals.set(request, principal);
    if (ctx.faults.takeMalformed()) malformed.add(request);
  };
}
