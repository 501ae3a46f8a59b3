import { randomUUID } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { isoSeconds } from "./clock.js";
import type { SandboxContext } from "./context.js";
import { denied, requireInput } from "./errors.js";
import { ACCESS_TOKEN_SECONDS } from "./lwa-state.js";
import { sellerOf, spapiGuard } from "./spapi-guard.js";

/** Data elements whose Restricted Data Token needs the PII role. */
const PII_ELEMENTS = new Set(["buyerInfo", "shippingAddress", "buyerTaxInformation"]);
const METHODS = ["GET", "PUT", "POST", "DELETE"];

/** Tokens 2021-03-01 `createRestrictedDataToken` and Application Management `rotateApplicationClientSecret`. */
export function registerApplicationRoutes(app: FastifyInstance, ctx: SandboxContext): void {
  app.post(
    "/tokens/2021-03-01/restrictedDataToken",
    { preHandler: spapiGuard(ctx, "createRestrictedDataToken") },
    async (request, reply) => {
      const seller = sellerOf(request);
      const body = (request.body ?? {}) as Record<string, unknown>;
      const resources = body.restrictedResources;
      requireInput(
        Array.isArray(resources) && resources.length > 0 && resources.length <= 50,
        "restrictedResources is required.",
      );
      const parsed = (resources as Record<string, unknown>[]).map((r) => {
        requireInput(
          typeof r.method === "string" && METHODS.includes(r.method),
          "restrictedResources[].method is invalid.",
        );
        requireInput(
          typeof r.path === "string" && r.path.startsWith("/"),
          "restrictedResources[].path is invalid.",
        );
        const dataElements = r.dataElements === undefined ? [] : r.dataElements;
        requireInput(
          Array.isArray(dataElements) && dataElements.every((d) => typeof d === "string"),
          "dataElements is invalid.",
        );
        return { method: r.method, path: r.path, dataElements: dataElements as string[] };
      });
      if (!seller.piiRole && parsed.some((r) => r.dataElements.some((d) => PII_ELEMENTS.has(d)))) {
        return denied(
          reply,
          "The application does not have the role required for the requested data elements.",
        );
      }
      const token = ctx.lwa.issueRestrictedToken({
        sellingPartnerId: seller.sellingPartnerId,
        expiresMs: ctx.time.now() + ACCESS_TOKEN_SECONDS * 1000,
        resources: parsed,
      });
      return { restrictedDataToken: token, expiresIn: ACCESS_TOKEN_SECONDS };
    },
  );

  app.post(
    "/applications/2023-11-30/clientSecret",
    { preHandler: spapiGuard(ctx, "rotateApplicationClientSecret") },
    async (_request, reply) => {
      const now = ctx.time.now();
      const { newSecret, oldExpiresMs } = ctx.lwa.rotateSecret(now);
      // Amazon delivers the new secret only through the APPLICATION_OAUTH_CLIENT_NEW_SECRET notification.
      ctx.lwa.notifications.push({
        notificationVersion: "1.0",
        notificationType: "APPLICATION_OAUTH_CLIENT_NEW_SECRET",
        payloadVersion: "2023-12-13",
        eventTime: isoSeconds(now),
        payload: {
          applicationOAuthClientNewSecret: {
            clientId: ctx.lwa.clientId,
            newClientSecret: newSecret,
            newClientSecretExpiryTime: isoSeconds(now + 180 * 86_400_000),
            oldClientSecretExpiryTime: isoSeconds(oldExpiresMs),
          },
        },
        notificationMetadata: {
          applicationId: ctx.lwa.applicationId,
          subscriptionId: randomUUID(),
          publishTime: isoSeconds(now),
          notificationId: randomUUID(),
        },
      });
      return reply.code(204).send();
    },
  );
}
