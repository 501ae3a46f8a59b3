import { afterEach, describe, expect, it } from "vitest";
import { refreshTokenSecretName } from "../../src/amazon/lwa.js";
import { rotateApplicationClientSecret } from "../../src/amazon/operations/application.js";
import { getOrder, getOrderRequest, searchOrders } from "../../src/amazon/operations/orders.js";
import {
  getInventorySummaries,
  getMarketplaceParticipations,
} from "../../src/amazon/operations/seller-data.js";
import { MS } from "../../src/platform/clock.js";
import { AppError } from "../../src/platform/errors.js";
import { openSpApiRig, type SpApiRig } from "../support/spapi.js";
import { STORES } from "../support/stores.js";

const code = (p: Promise<unknown>) =>
  p.then(
    () => "resolved",
    (err: unknown) => (err instanceof AppError ? err.code : String(err)),
  );

for (const target of STORES) {
  describe.skipIf(target.skip)(`SP-API client against the sandbox on ${target.name}`, () => {
    let rig: SpApiRig;
    afterEach(async () => {
      await rig.dispose();
    });

    it("caches the access token per account, shares one refresh among concurrent callers and refreshes 5 minutes early", async () => {
      rig = await openSpApiRig(target.name);
      const [a0, a1] = rig.accounts as [string, string];
      const results = await Promise.all(
        Array.from({ length: 10 }, () => getMarketplaceParticipations(rig.client, a0)),
      );
      expect(results.every((r) => r.length === 2)).toBe(true);
      expect(rig.sellerTokensIssued()).toBe(1);
      await getMarketplaceParticipations(rig.client, a1);
      expect(rig.sellerTokensIssued()).toBe(2);
      // 54 minutes in, the token still has 6 minutes: reused.
      rig.advance(54 * MS.minute);
      await getMarketplaceParticipations(rig.client, a0);
      expect(rig.sellerTokensIssued()).toBe(2);
      // 55 minutes in, 5 are left: renewed before Amazon would refuse it.
      rig.advance(MS.minute);
      await Promise.all([
        getMarketplaceParticipations(rig.client, a0),
        getMarketplaceParticipations(rig.client, a0),
      ]);
      expect(rig.sellerTokensIssued()).toBe(3);
    });

    it("after invalidate (a reconnect), callers do not join a renewal begun with the old refresh token", async () => {
      rig = await openSpApiRig(target.name);
      const a0 = rig.accounts[0] as string;
      const stale = rig.lwa.accessToken(a0);
      rig.lwa.invalidate(a0);
      const fresh = rig.lwa.accessToken(a0);
      expect(fresh).not.toBe(stale);
      const [, token] = await Promise.all([stale, fresh]);
      expect(rig.sellerTokensIssued()).toBe(2);
      // The cache holds the renewal begun after the invalidation, whichever finished last.
      expect(await rig.lwa.accessToken(a0)).toBe(token);
      expect(rig.sellerTokensIssued()).toBe(2);
    });

    it("renews a token Amazon says expired, once", async () => {
      rig = await openSpApiRig(target.name);
      const a0 = rig.accounts[0] as string;
      await getMarketplaceParticipations(rig.client, a0);
      await rig.h.admin({ expireTokens: true });
      expect(await getMarketplaceParticipations(rig.client, a0)).toHaveLength(2);
      expect(rig.sellerTokensIssued()).toBe(2);
    });

    it("turns invalid_grant after the seller revoked the app into the terminal SPAPI_AUTHORIZATION_REVOKED", async () => {
      rig = await openSpApiRig(target.name);
      const [a0, a1] = rig.accounts as [string, string];
      await getMarketplaceParticipations(rig.client, a0);
      await rig.h.admin({ revoke: rig.sellingPartnerId(0) });
      const before = rig.requests("/auth/o2/token");
      expect(await code(getMarketplaceParticipations(rig.client, a0))).toBe("SPAPI_AUTHORIZATION_REVOKED");
      // Terminal: one refresh attempt, no retry loop against LWA.
      expect(rig.requests("/auth/o2/token")).toBe(before + 1);
      const err = (await getMarketplaceParticipations(rig.client, a0).catch((e: unknown) => e)) as AppError;
      expect(err.code).toBe("SPAPI_AUTHORIZATION_REVOKED");
      // The error says what happened, never with the refresh token or the client secret in it.
      const shown = `${err.message} ${JSON.stringify(err.details)} ${String(err.cause ?? "")}`;
      expect(shown).not.toContain(rig.h.running.sandbox.sellers[0]?.refreshToken as string);
      expect(shown).not.toContain(rig.h.running.sandbox.clientSecret());
      // The other seller is untouched.
      expect(await getMarketplaceParticipations(rig.client, a1)).toHaveLength(2);
      const failure = rig.events.find((e) => e.outcome === "failure");
      expect(failure).toMatchObject({
        action: "spapi.call",
        reason: "SPAPI_AUTHORIZATION_REVOKED",
        target: { account: a0, operation: "getMarketplaceParticipations" },
      });
    });

    it("retries 429 and 5xx bursts with capped, jittered backoff and then succeeds", async () => {
      rig = await openSpApiRig(target.name, { random: () => 0.5 });
      const a0 = rig.accounts[0] as string;
      await rig.h.admin({ throttles: 2, serverErrors: 1, serverErrorStatus: 503 });
      expect(await getMarketplaceParticipations(rig.client, a0)).toHaveLength(2);
      expect(rig.requests("/sellers/")).toBe(4);
      // Full jitter at 0.5 of base 1 s doubling: 0.5 s, 1 s, 2 s; after each 429 the drained bucket also
      // makes the next try wait for a token (1 / 0.016 s).
      const backoffs = rig.sleeps.filter((ms) => ms < 10_000);
      expect(backoffs).toEqual([500, 1_000, 2_000]);
      expect(rig.sleeps.filter((ms) => ms > 55_000 && ms <= 62_600)).toHaveLength(2);
      expect(rig.throttledBySandbox()).toBe(0);
    });

    it("gives up after the maximum attempts with SPAPI_UNAVAILABLE or SPAPI_THROTTLED", async () => {
      rig = await openSpApiRig(target.name, {
        backoff: { maxAttempts: 3, baseDelayMs: 1_000, maxDelayMs: 2_000 },
      });
      const a0 = rig.accounts[0] as string;
      await rig.h.admin({ serverErrors: 10 });
      const before = rig.requests("/sellers/");
      expect(await code(getMarketplaceParticipations(rig.client, a0))).toBe("SPAPI_UNAVAILABLE");
      expect(rig.requests("/sellers/") - before).toBe(3);
      await rig.h.admin({ reset: true, throttles: 10 });
      expect(await code(getMarketplaceParticipations(rig.client, a0))).toBe("SPAPI_THROTTLED");
      // Every backoff stays under the cap.
      expect(Math.max(...rig.sleeps.filter((ms) => ms < 10_000))).toBeLessThan(2_000);
    });

    it("answers a malformed body with SPAPI_BAD_RESPONSE, not a crash", async () => {
      rig = await openSpApiRig(target.name);
      const a0 = rig.accounts[0] as string;
      await rig.h.admin({ malformed: 1 });
      const err = await getMarketplaceParticipations(rig.client, a0).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe("SPAPI_BAD_RESPONSE");
      expect(await getMarketplaceParticipations(rig.client, a0)).toHaveLength(2);
    });

    it("refuses calls outside the enabled features before any network traffic, and asks for buyer data only with FBM shipping", async () => {
      rig = await openSpApiRig(target.name);
      const a0 = rig.accounts[0] as string;
      rig.features.set(a0, ["inventory"]);
      const before = rig.requests();
      const after = new Date(rig.clock.now().getTime() - 30 * MS.day).toISOString();
      expect(await code(searchOrders(rig.client, a0, { createdAfter: after }))).toBe(
        "SPAPI_FEATURE_DISABLED",
      );
      rig.features.set(a0, ["orders_sales"]);
      expect(await code(searchOrders(rig.client, a0, { createdAfter: after, includedData: ["BUYER"] }))).toBe(
        "SPAPI_FEATURE_DISABLED",
      );
      expect(
        await code(searchOrders(rig.client, a0, { createdAfter: after, includedData: ["RECIPIENT"] })),
      ).toBe("SPAPI_FEATURE_DISABLED");
      const restricted = {
        ...getOrderRequest({ orderId: "111-0000000-0000000" }),
        restricted: {
          method: "GET" as const,
          path: "/orders/v0/orders/{orderId}/address",
          dataElements: ["shippingAddress"],
        },
      };
      expect(await code(rig.client.call(a0, restricted))).toBe("SPAPI_FEATURE_DISABLED");
      // Nothing reached the sandbox, not even LWA or the Tokens API.
      expect(rig.requests()).toBe(before);
      expect(rig.events.filter((e) => e.outcome === "denied")).toHaveLength(4);

      const page = await searchOrders(rig.client, a0, {
        createdAfter: after,
        includedData: ["FULFILLMENT"],
        maxResultsPerPage: 5,
      });
      expect(page.orders.length).toBeGreaterThan(0);
      expect(page.orders.every((o) => o.buyer === undefined && o.recipient === undefined)).toBe(true);

      rig.features.set(a0, ["orders_sales", "fbm_shipping"]);
      const withPii = await searchOrders(rig.client, a0, {
        createdAfter: after,
        includedData: ["BUYER", "RECIPIENT"],
        maxResultsPerPage: 5,
      });
      expect(withPii.orders[0]?.buyer?.buyerName).toBeTruthy();
      const event = rig.events.at(-1);
      expect(event?.target).toEqual({
        account: a0,
        operation: "searchOrders",
        dataElements: "BUYER,RECIPIENT",
      });
      // Audit events carry ids and dataset names only: no names, addresses or tokens.
      const audit = JSON.stringify(rig.events);
      expect(audit).not.toContain(withPii.orders[0]?.buyer?.buyerName as string);
      expect(audit).not.toContain("Atz");
      expect(audit).not.toContain(rig.h.running.sandbox.clientSecret());
    });

    it("keeps under the sandbox's bucket with its own: no 429 at steady state", async () => {
      rig = await openSpApiRig(target.name);
      const a0 = rig.accounts[0] as string;
      const market = rig.h.running.sandbox.sellers[0]?.marketplaceIds[0] as string;
      const start = rig.clock.now().getTime();
      for (let i = 0; i < 30; i++) await getInventorySummaries(rig.client, a0, { marketplaceId: market });
      expect(rig.throttledBySandbox()).toBe(0);
      // rate 2/s, burst 2: 28 calls beyond the burst need 14 s of Amazon time, and no more than that.
      const elapsed = rig.clock.now().getTime() - start;
      expect(elapsed).toBeGreaterThanOrEqual(14_000);
      expect(elapsed).toBeLessThan(14_000 + 200);
    });

    it("adopts the rate Amazon reports in x-amzn-RateLimit-Limit", async () => {
      rig = await openSpApiRig(target.name, {
        sandbox: { rateLimits: { getInventorySummaries: { rate: 0.5, burst: 2 } } },
      });
      const a0 = rig.accounts[0] as string;
      const market = rig.h.running.sandbox.sellers[0]?.marketplaceIds[0] as string;
      const start = rig.clock.now().getTime();
      for (let i = 0; i < 8; i++) await getInventorySummaries(rig.client, a0, { marketplaceId: market });
      // Our table says 2/s; Amazon says 0.5/s, and we follow it from the first answer on.
      expect(rig.throttledBySandbox()).toBe(0);
      expect(rig.clock.now().getTime() - start).toBeGreaterThanOrEqual(12_000);
    });

    it("paces a slow operation under a time-scaled sandbox without a single 429", async () => {
      rig = await openSpApiRig(target.name, { timeScale: 60 });
      const a0 = rig.accounts[0] as string;
      const after = new Date(rig.clock.now().getTime() - 30 * MS.day).toISOString();
      for (let i = 0; i < 24; i++) {
        await searchOrders(rig.client, a0, { createdAfter: after, maxResultsPerPage: 1 });
      }
      expect(rig.throttledBySandbox()).toBe(0);
    });

    it("uses and caches Restricted Data Tokens for their lifetime", async () => {
      rig = await openSpApiRig(target.name);
      const a0 = rig.accounts[0] as string;
      const after = new Date(rig.clock.now().getTime() - 30 * MS.day).toISOString();
      const orderId = (await searchOrders(rig.client, a0, { createdAfter: after, maxResultsPerPage: 1 }))
        .orders[0]?.orderId as string;
      const restricted = { method: "GET" as const, path: "/orders/2026-01-01/orders/{orderId}" };
      const request = { ...getOrderRequest({ orderId }), restricted };
      expect((await rig.client.call(a0, request)).order.orderId).toBe(orderId);
      expect((await rig.client.call(a0, request)).order.orderId).toBe(orderId);
      expect(rig.requests("/tokens/")).toBe(1);
      rig.advance(50 * MS.minute);
      await rig.client.call(a0, request);
      expect(rig.requests("/tokens/")).toBe(1);
      rig.advance(10 * MS.minute);
      await rig.client.call(a0, request);
      expect(rig.requests("/tokens/")).toBe(2);
      expect(await getOrder(rig.client, a0, { orderId })).toMatchObject({ orderId });
    });

    it("exchanges a consent code once, verifies client secrets and rotates the secret with a grantless token", async () => {
      rig = await openSpApiRig(target.name);
      const consent = new URL(rig.h.running.consentUrl);
      consent.searchParams.set("application_id", rig.h.running.sandbox.applicationId);
      consent.searchParams.set("state", "s1");
      const res = await fetch(consent, { redirect: "manual" });
      const codeParam = new URL(res.headers.get("location") as string).searchParams.get("spapi_oauth_code");
      const redirectUri = rig.h.running.sandbox.context.lwa.redirectUris[0] as string;
      const grant = await rig.lwa.exchangeAuthorizationCode(codeParam as string, redirectUri);
      expect(grant.refreshToken).toMatch(/^Atzr\|/);
      expect(await code(rig.lwa.exchangeAuthorizationCode(codeParam as string, redirectUri))).toBe(
        "SPAPI_REQUEST_REFUSED",
      );
      // The new refresh token works once it is in the secrets store.
      await rig.protection.secrets.put(refreshTokenSecretName("acct-new"), grant.refreshToken, {
        accountId: "acct-new",
        actor: "test",
      });
      rig.features.set("acct-new", []);
      expect(await getMarketplaceParticipations(rig.client, "acct-new")).toHaveLength(2);

      expect(await code(rig.lwa.verifyClientSecret("amzn1.oa2-cs.v1.wrong"))).toBe("SPAPI_CLIENT_REJECTED");
      await rotateApplicationClientSecret(rig.client);
      const notes = (await (await fetch(`${rig.h.endpoint}/_sandbox/notifications`)).json()) as {
        notifications: { payload: { applicationOAuthClientNewSecret: { newClientSecret: string } } }[];
      };
      const fresh = notes.notifications[0]?.payload.applicationOAuthClientNewSecret.newClientSecret as string;
      await rig.lwa.verifyClientSecret(fresh);
      // burst 1: a second rotation waits for the bucket (about 60 s) instead of drawing a 429.
      const start = rig.clock.now().getTime();
      await rotateApplicationClientSecret(rig.client);
      expect(rig.clock.now().getTime() - start).toBeGreaterThanOrEqual(59_000);
      expect(rig.throttledBySandbox()).toBe(0);
      expect(rig.events.filter((e) => e.target?.account === "application")).toHaveLength(2);
    });
  });
}
