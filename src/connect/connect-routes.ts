import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { Kysely } from "kysely";
import { z } from "zod";
import { FEATURE_NAMES, FEATURES } from "../amazon/features.js";
import type { DB } from "../db/schema.js";
import { requireSession } from "../identity/authentication.js";
import { findUser } from "../identity/users-repo.js";
import { AppError } from "../platform/errors.js";
import type { ConnectService } from "./connect-service.js";

/** Where the browser lands after a successful callback: the web app's seller accounts page names the account. */
export const CONNECTED_PAGE = "/accounts";

export interface ConnectRoutesDeps {
  db: Kysely<DB>;
  /** Null when no SP-API client is wired (then only the feature registry is served). */
  connect: Pick<ConnectService, "start" | "callback"> | null;
}

const featureView = z.object({
  name: z.enum(FEATURE_NAMES),
  label: z.string().max(100),
  roles: z.array(z.string().max(100)).max(20),
});

/**
 * The website authorization workflow over HTTP. Who may connect: an instance admin, or a user who is owner of
 * at least one seller account in their organisation (checked by the service at start and again at callback).
 * Both steps need a browser session: the state is bound to it, so a link replayed elsewhere is refused.
 */
export function connectRoutes(deps: ConnectRoutesDeps): FastifyPluginAsyncZod {
  const service = () => {
    if (!deps.connect) throw new AppError("NOT_READY", "Connecting seller accounts is not configured.");
    return deps.connect;
  };
  return async (app) => {
    app.get(
      "/api/features",
      {
        config: { permission: "authenticated" },
        schema: {
          summary: "The feature registry: what each feature is and which SP-API roles it needs",
          tags: ["connect"],
          response: { 200: z.object({ features: z.array(featureView) }) },
        },
      },
      async () => ({
        features: FEATURE_NAMES.map((name) => ({
          name,
          label: FEATURES[name].label,
          roles: [...FEATURES[name].roles],
        })),
      }),
    );

    app.post(
      "/api/connect/start",
      {
        config: { permission: "authenticated" },
        schema: {
          summary: "Starts connecting a seller account: a single-use consent URL valid for 5 minutes",
          tags: ["connect"],
          body: z.object({ features: z.array(z.string().max(40)).min(1).max(FEATURE_NAMES.length) }).strict(),
          response: { 200: z.object({ consentUrl: z.string().max(2048), expiresAt: z.string().max(40) }) },
        },
      },
      async (request) => {
        const { session } = requireSession(request);
        const user = await findUser(deps.db, session.userId);
        if (!user?.organisationId) throw new AppError("FORBIDDEN");
        return service().start(
          { userId: session.userId, sessionId: session.id, organisationId: user.organisationId },
          request.body.features,
        );
      },
    );

    app.get(
      "/api/connect/callback",
      {
        config: { permission: "authenticated" },
        schema: {
          summary: "Where Amazon's consent page sends the seller back; redirects to the web app",
          tags: ["connect"],
          querystring: z.object({
            state: z.string().min(1).max(128),
            selling_partner_id: z.string().min(1).max(64),
            spapi_oauth_code: z.string().min(1).max(512),
          }),
        },
      },
      async (request, reply) => {
        const { session } = requireSession(request);
        try {
          const done = await service().callback(
            { userId: session.userId, sessionId: session.id },
            request.query,
          );
          return reply.redirect(`${CONNECTED_PAGE}?connected=${encodeURIComponent(done.accountId)}`, 303);
        } catch (err) {
          // A person's browser lands here from Amazon: a refusal is a page with its code, not a JSON body.
          // The service has audited it; anything unexpected goes to the error handler as usual.
          if (err instanceof AppError && err.status < 500) {
            return reply.redirect(`${CONNECTED_PAGE}?error=${encodeURIComponent(err.code)}`, 303);
          }
          throw err;
        }
      },
    );
  };
}
