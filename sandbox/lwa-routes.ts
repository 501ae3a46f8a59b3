import type { FastifyInstance, FastifyReply } from "fastify";
import type { SandboxContext } from "./context.js";
import { ACCESS_TOKEN_SECONDS, GRANTLESS_SCOPES } from "./lwa-state.js";

function lwaError(reply: FastifyReply, status: number, error: string, description: string) {
  return reply
    .code(status)
    .header("cache-control", "no-store")
    .send({ error_description: description, error });
}

function field(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  return typeof value === "string" && value !== "" ? value : undefined;
}

/**
 * Login with Amazon: `POST /auth/o2/token` (authorization_code, refresh_token, client_credentials grants) and
 * the seller-central consent page, which here consents at once and redirects back to the application.
 */
export function registerLwaRoutes(app: FastifyInstance, ctx: SandboxContext): void {
  const { lwa } = ctx;

  app.post("/auth/o2/token", async (request, reply) => {
    const body = (request.body && typeof request.body === "object" ? request.body : {}) as Record<
      string,
      unknown
    >;
    const grantType = field(body, "grant_type");
    const clientId = field(body, "client_id");
    const clientSecret = field(body, "client_secret");
    if (!grantType)
      return lwaError(
        reply,
        400,
        "invalid_request",
        "The request is missing a required parameter : grant_type",
      );
    if (!clientId || !clientSecret) {
      return lwaError(
        reply,
        400,
        "invalid_request",
        "The request is missing a required parameter : client_id or client_secret",
      );
    }
    const now = ctx.time.now();
    if (!lwa.clientMatches(clientId, clientSecret, now)) {
      return lwaError(reply, 401, "invalid_client", "Client authentication failed");
    }
    const expiresMs = now + ACCESS_TOKEN_SECONDS * 1000;
    reply.header("cache-control", "no-store");

    if (grantType === "authorization_code") {
      const code = field(body, "code");
      if (!code)
        return lwaError(reply, 400, "invalid_request", "The request is missing a required parameter : code");
      const grant = lwa.consumeCode(code, now);
      const redirectUri = field(body, "redirect_uri");
      if (!grant || (redirectUri !== undefined && redirectUri !== grant.redirectUri)) {
        return lwaError(reply, 400, "invalid_grant", "The request has an invalid grant parameter : code");
      }
      const accessToken = lwa.issueAccessToken({
        kind: "seller",
        sellingPartnerId: grant.sellingPartnerId,
        expiresMs,
      });
      return {
        access_token: accessToken,
        refresh_token: lwa.issueRefreshToken(grant.sellingPartnerId),
        token_type: "bearer",
        expires_in: ACCESS_TOKEN_SECONDS,
      };
    }
    if (grantType === "refresh_token") {
      const refreshToken = field(body, "refresh_token");
      if (!refreshToken) {
        return lwaError(
          reply,
          400,
          "invalid_request",
          "The request is missing a required parameter : refresh_token",
        );
      }
      const grant = lwa.refreshGrant(refreshToken);
      if (!grant)
        return lwaError(
          reply,
          400,
          "invalid_grant",
          "The request has an invalid grant parameter : refresh_token",
        );
      const accessToken = lwa.issueAccessToken({
        kind: "seller",
        sellingPartnerId: grant.sellingPartnerId,
        expiresMs,
      });
      return {
        access_token: accessToken,
        refresh_token: refreshToken,
        token_type: "bearer",
        expires_in: ACCESS_TOKEN_SECONDS,
      };
    }
    if (grantType === "client_credentials") {
      const scope = field(body, "scope");
      if (!scope || !GRANTLESS_SCOPES.includes(scope)) {
        return lwaError(reply, 400, "invalid_scope", "An unknown scope was requested");
      }
      const accessToken = lwa.issueAccessToken({ kind: "grantless", scope, expiresMs });
      return { access_token: accessToken, scope, token_type: "bearer", expires_in: ACCESS_TOKEN_SECONDS };
    }
    return lwaError(
      reply,
      400,
      "unsupported_grant_type",
      "The authorization grant type is not supported by the authorization server",
    );
  });

  app.get("/apps/authorize/consent", async (request, reply) => {
    const query = request.query as Record<string, string | undefined>;
    if (query.application_id !== lwa.applicationId) {
      return reply.code(400).send({ error: "invalid_request", error_description: "Unknown application_id" });
    }
    if (!query.state)
      return reply.code(400).send({ error: "invalid_request", error_description: "state is required" });
    const redirectUri = query.redirect_uri ?? lwa.redirectUris[0];
    if (!redirectUri || !lwa.redirectUris.includes(redirectUri)) {
      return reply
        .code(400)
        .send({ error: "invalid_request", error_description: "redirect_uri is not registered" });
    }
    // Sandbox extension: which seller "logs in" and consents; the first seller by default.
    const sellingPartnerId = query.selling_partner_id ?? ctx.data.sellers[0]?.sellingPartnerId;
    if (!sellingPartnerId || !lwa.sellers.has(sellingPartnerId)) {
      return reply.code(400).send({ error: "invalid_request", error_description: "Unknown seller" });
    }
    const code = lwa.issueCode(sellingPartnerId, redirectUri, ctx.time.now());
    const target = new URL(redirectUri);
    target.searchParams.set("state", query.state);
    target.searchParams.set("selling_partner_id", sellingPartnerId);
    target.searchParams.set("spapi_oauth_code", code);
    return reply.redirect(target.toString(), 302);
  });
}
