import { afterEach, describe, expect, it } from "vitest";
import { DAY, MINUTE, SECOND } from "./clock.js";
import { type SandboxHarness, startHarness } from "./test-harness.js";

const REDIRECT = "https://app.example.test/callback";
let h: SandboxHarness;

afterEach(async () => {
  await h.close();
});

async function consent(state: string, sellerIndex = 0) {
  const s = h.running.sandbox;
  const url = new URL(h.running.consentUrl);
  url.searchParams.set("application_id", s.applicationId);
  url.searchParams.set("state", state);
  url.searchParams.set("version", "beta");
  url.searchParams.set("selling_partner_id", s.sellers[sellerIndex]?.sellingPartnerId ?? "");
  const res = await fetch(url, { redirect: "manual" });
  return { status: res.status, location: new URL(res.headers.get("location") ?? "http://invalid/") };
}

function exchange(code: string) {
  const s = h.running.sandbox;
  return h.lwa({
    grant_type: "authorization_code",
    code,
    redirect_uri: REDIRECT,
    client_id: s.clientId,
    client_secret: s.clientSecret(),
  });
}

const orders = "/sellers/v1/marketplaceParticipations";

describe("LWA token endpoint", () => {
  it("issues access tokens from the refresh token that expire after 3600 s of Amazon time", async () => {
    h = await startHarness();
    const token = await h.token();
    expect((await h.call("GET", orders, token)).status).toBe(200);
    h.clock.advance(3599 * SECOND);
    expect((await h.call("GET", orders, token)).status).toBe(200);
    h.clock.advance(SECOND);
    const expired = await h.call("GET", orders, token);
    expect(expired.status).toBe(403);
    expect(expired.json()).toEqual({
      errors: [
        {
          code: "Unauthorized",
          message: "Access to requested resource is denied.",
          details: "The access token you provided has expired.",
        },
      ],
    });
  });

  it("runs token lifetimes faster under a time scale", async () => {
    h = await startHarness({ timeScale: 60 });
    const token = await h.token();
    h.clock.advance(59 * SECOND);
    expect((await h.call("GET", orders, token)).status).toBe(200);
    h.clock.advance(SECOND); // 60 real seconds = one Amazon hour
    expect((await h.call("GET", orders, token)).status).toBe(403);
  });

  it("refuses a wrong client secret, an unknown grant type and a missing token", async () => {
    h = await startHarness();
    const s = h.running.sandbox;
    const bad = await h.lwa({
      grant_type: "refresh_token",
      refresh_token: s.sellers[0]?.refreshToken ?? "",
      client_id: s.clientId,
      client_secret: "wrong",
    });
    expect(bad).toEqual({
      status: 401,
      body: { error_description: "Client authentication failed", error: "invalid_client" },
    });
    const grant = await h.lwa({
      grant_type: "password",
      client_id: s.clientId,
      client_secret: s.clientSecret(),
    });
    expect(grant.status).toBe(400);
    expect(grant.body.error).toBe("unsupported_grant_type");
    expect((await h.call("GET", orders, undefined)).status).toBe(403);
    expect((await h.call("GET", orders, "Atza|forged")).json().errors).toEqual([
      expect.objectContaining({ details: "The access token you provided is revoked, malformed or invalid." }),
    ]);
  });

  it("answers invalid_grant exactly as Amazon after the seller revokes, and consent reconnects", async () => {
    h = await startHarness({ redirectUris: [REDIRECT] });
    const s = h.running.sandbox;
    const seller = s.sellers[0];
    if (!seller) throw new Error("no seller");
    const token = await h.token();
    await h.admin({ revoke: seller.sellingPartnerId });
    const refresh = await h.lwa({
      grant_type: "refresh_token",
      refresh_token: seller.refreshToken,
      client_id: s.clientId,
      client_secret: s.clientSecret(),
    });
    expect(refresh).toEqual({
      status: 400,
      body: {
        error_description: "The request has an invalid grant parameter : refresh_token",
        error: "invalid_grant",
      },
    });
    expect((await h.call("GET", orders, token)).status).toBe(403);
    // The other seller is untouched.
    expect(await h.token(1)).toMatch(/^Atza\|/);

    const back = await consent("st-2");
    const tokens = await exchange(back.location.searchParams.get("spapi_oauth_code") ?? "");
    expect(tokens.status).toBe(200);
    expect(tokens.body.refresh_token).not.toBe(seller.refreshToken);
    expect((await h.call("GET", orders, tokens.body.access_token as string)).status).toBe(200);
  });
});

describe("consent page", () => {
  it("redirects with state, selling_partner_id and a single-use code", async () => {
    h = await startHarness({ redirectUris: [REDIRECT] });
    const s = h.running.sandbox;
    const back = await consent("state-123", 1);
    expect(back.status).toBe(302);
    expect(back.location.origin + back.location.pathname).toBe(REDIRECT);
    expect(back.location.searchParams.get("state")).toBe("state-123");
    expect(back.location.searchParams.get("selling_partner_id")).toBe(s.sellers[1]?.sellingPartnerId);
    const code = back.location.searchParams.get("spapi_oauth_code") ?? "";
    const first = await exchange(code);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ token_type: "bearer", expires_in: 3600 });
    expect(first.body.refresh_token).toMatch(/^Atzr\|/);
    const second = await exchange(code);
    expect(second).toEqual({
      status: 400,
      body: {
        error_description: "The request has an invalid grant parameter : code",
        error: "invalid_grant",
      },
    });
  });

  it("lets a code expire after five minutes of Amazon time", async () => {
    h = await startHarness({ redirectUris: [REDIRECT] });
    const early = await consent("a");
    const late = await consent("b");
    h.clock.advance(5 * MINUTE - SECOND);
    expect((await exchange(early.location.searchParams.get("spapi_oauth_code") ?? "")).status).toBe(200);
    h.clock.advance(SECOND);
    const expired = await exchange(late.location.searchParams.get("spapi_oauth_code") ?? "");
    expect(expired.body.error).toBe("invalid_grant");
  });

  it("refuses an unknown application id, a missing state and an unregistered redirect URI", async () => {
    h = await startHarness({ redirectUris: [REDIRECT] });
    const base = new URL(h.running.consentUrl);
    base.searchParams.set("application_id", "amzn1.sp.solution.other");
    base.searchParams.set("state", "s");
    expect((await fetch(base, { redirect: "manual" })).status).toBe(400);
    base.searchParams.set("application_id", h.running.sandbox.applicationId);
    base.searchParams.delete("state");
    expect((await fetch(base, { redirect: "manual" })).status).toBe(400);
    base.searchParams.set("state", "s");
    base.searchParams.set("redirect_uri", "https://evil.example/cb");
    expect((await fetch(base, { redirect: "manual" })).status).toBe(400);
  });
});

describe("client secret rotation", () => {
  it("rotates with a grantless token, announces the new secret and retires the old one after 7 days", async () => {
    h = await startHarness();
    const s = h.running.sandbox;
    const oldSecret = s.clientSecret();
    const grantless = await h.lwa({
      grant_type: "client_credentials",
      scope: "sellingpartnerapi::client_credential:rotation",
      client_id: s.clientId,
      client_secret: oldSecret,
    });
    expect(grantless.status).toBe(200);
    const sellerToken = await h.token();
    expect((await h.call("POST", "/applications/2023-11-30/clientSecret", sellerToken)).status).toBe(403);
    const rotated = await h.call(
      "POST",
      "/applications/2023-11-30/clientSecret",
      grantless.body.access_token as string,
    );
    expect(rotated.status).toBe(204);
    expect(rotated.headers.get("x-amzn-ratelimit-limit")).toBe("0.0167");
    const notes = (await (await fetch(`${h.endpoint}/_sandbox/notifications`)).json()) as {
      notifications: { payload: { applicationOAuthClientNewSecret: { newClientSecret: string } } }[];
    };
    const newSecret = notes.notifications[0]?.payload.applicationOAuthClientNewSecret.newClientSecret;
    expect(newSecret).toBe(s.clientSecret());
    expect(newSecret).not.toBe(oldSecret);
    const refreshWith = (secret: string) =>
      h.lwa({
        grant_type: "refresh_token",
        refresh_token: s.sellers[0]?.refreshToken ?? "",
        client_id: s.clientId,
        client_secret: secret,
      });
    expect((await refreshWith(oldSecret)).status).toBe(200);
    h.clock.advance(7 * DAY);
    expect((await refreshWith(oldSecret)).status).toBe(401);
    expect((await refreshWith(newSecret ?? "")).status).toBe(200);
  });
});
