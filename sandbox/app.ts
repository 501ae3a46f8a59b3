import { createHmac } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import Fastify, { type FastifyError, type FastifyInstance } from "fastify";
import { registerAdminRoutes } from "./admin-routes.js";
import { registerApplicationRoutes } from "./application-routes.js";
import { AmazonTime, realClock, type SandboxClock } from "./clock.js";
import type { SandboxContext } from "./context.js";
import { OrderData } from "./data-generator.js";
import { InputError } from "./errors.js";
import { type FaultSettings, Faults } from "./faults.js";
import { registerFinancesRoutes } from "./finances-routes.js";
import { registerLwaRoutes } from "./lwa-routes.js";
import { LwaState } from "./lwa-state.js";
import { registerOrdersRoutes } from "./orders-routes.js";
import { type Operation, RateLimiter, type UsagePlan } from "./rate-limits.js";
import { registerReportsRoutes } from "./reports-routes.js";
import { registerSellerDataRoutes } from "./seller-data-routes.js";
import { isMalformed } from "./spapi-guard.js";

export interface SandboxOptions {
  orders?: number;
  /**
   * Where the generated two years of history end (ms since the epoch; default: the sandbox's start). A fixed end
   * makes every sandbox started with the same seed and end serve identical orders, dates included.
   */
  dataEndMs?: number;
  seed?: number;
  sellers?: number;
  /** 60 means one real second is one minute of Amazon time (rates, delays and expiries alike). */
  timeScale?: number;
  clock?: SandboxClock;
  /** Embedded in every generated buyer name and address line, so leak scans can grep for it. */
  piiCanary?: string | undefined;
  /** Seller indices for which the application lacks the buyer/recipient (PII) role; all others have it. */
  withoutPiiRole?: readonly number[];
  applicationId?: string;
  clientId?: string;
  clientSecret?: string;
  /**
   * Derives the application id, client id, client secret and each seller's first refresh token from this
   * secret (HMAC-SHA-256), so several sandbox processes started with the same seed accept the same credentials
   * (demo mode: the server's sandbox and a CLI's). Explicit ids and secrets above win.
   */
  credentialSeed?: string;
  /** Registered OAuth redirect URIs; the first is the default target of the consent page. */
  redirectUris?: string[];
  rateLimits?: Partial<Record<Operation, UsagePlan>>;
  faults?: Partial<FaultSettings>;
  /** Real-time wait for the latency fault (tests may replace it). */
  delay?: (ms: number) => Promise<void>;
}

export interface SandboxSeller {
  sellingPartnerId: string;
  refreshToken: string;
  marketplaceIds: string[];
  storeName: string;
  piiRole: boolean;
}

export interface Sandbox {
  app: FastifyInstance;
  context: SandboxContext;
  applicationId: string;
  clientId: string;
  /** The current client secret (changes when `rotateApplicationClientSecret` is called). */
  clientSecret(): string;
  sellers: SandboxSeller[];
}

function seededCredentials(seed: string) {
  const mac = (label: string) => createHmac("sha256", seed).update(label, "utf8").digest();
  const hex = (label: string, bytes: number) => mac(label).subarray(0, bytes).toString("hex");
  const b64 = (label: string) =>
    Buffer.concat([mac(`${label}/1`), mac(`${label}/2`)])
      .subarray(0, 48)
      .toString("base64url");
  return {
    applicationId: `amzn1.sp.solution.${hex("application", 16).replace(/^(.{8})(.{4})(.{4})(.{4})/, "$1-$2-$3-$4-")}`,
    clientId: `amzn1.application-oa2-client.${hex("client-id", 16)}`,
    clientSecret: `amzn1.oa2-cs.v1.${b64("client-secret")}`,
    refreshToken: (sellingPartnerId: string) => `Atzr|${b64(`refresh-token/${sellingPartnerId}`)}`,
  };
}

export const DEFAULT_REDIRECT_URI = "https://localhost:8443/api/connect/amazon/callback";

/** Builds the SP-API simulator as a Fastify app; nothing listens until `listenSandbox`. */
export function buildSandbox(options: SandboxOptions = {}): Sandbox {
  const time = new AmazonTime(options.clock ?? realClock, options.timeScale ?? 1);
  const seed = options.seed ?? 1;
  const data = new OrderData({
    orders: options.orders ?? 2_000,
    seed,
    sellers: options.sellers ?? 2,
    endMs: Math.min(options.dataEndMs ?? time.now(), time.now()),
    piiCanary: options.piiCanary,
  });
  const derive = options.credentialSeed === undefined ? null : seededCredentials(options.credentialSeed);
  const lwa = new LwaState({
    applicationId: options.applicationId ?? derive?.applicationId,
    clientId: options.clientId ?? derive?.clientId,
    clientSecret: options.clientSecret ?? derive?.clientSecret,
    redirectUris: options.redirectUris ?? [DEFAULT_REDIRECT_URI],
  } as ConstructorParameters<typeof LwaState>[0]);
  const withoutPii = new Set(options.withoutPiiRole ?? []);
  const sellers = data.sellers.map((profile) => {
    const piiRole = !withoutPii.has(profile.index);
    return {
      sellingPartnerId: profile.sellingPartnerId,
      refreshToken: lwa.addSeller(
        { sellingPartnerId: profile.sellingPartnerId, piiRole },
        derive?.refreshToken(profile.sellingPartnerId),
      ),
      marketplaceIds: profile.marketplaces.map((m) => m.id),
      storeName: profile.storeName,
      piiRole,
    };
  });
  const context: SandboxContext = {
    time,
    data,
    lwa,
    limiter: new RateLimiter(options.rateLimits),
    faults: new Faults(options.faults),
    delay: options.delay ?? ((ms) => sleep(ms).then(() => undefined)),
  };

  // Buyer data flows through here: the sandbox never logs requests or bodies.
  // Closing must not wait for clients that left a response unread (a test, a killed benchmark).
  const app = Fastify({ logger: false, forceCloseConnections: true });
  app.addContentTypeParser(
    "application/x-www-form-urlencoded",
    { parseAs: "string" },
    (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(String(body))));
    },
  );
  app.addHook("onSend", async (request, _reply, payload) => {
    if (isMalformed(request) && typeof payload === "string" && payload.length > 1) {
      return payload.slice(0, Math.floor(payload.length / 2));
    }
    return payload;
  });
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error instanceof InputError ? 400 : (error.statusCode ?? 500);
    if (request.url.startsWith("/auth/o2/token")) {
      return reply
        .code(status < 500 ? 400 : 500)
        .send({ error_description: "The request is malformed", error: "invalid_request" });
    }
    if (status < 500) {
      return reply.code(400).send({
        errors: [
          {
            code: "InvalidInput",
            message: error instanceof InputError ? error.message : "The request is malformed.",
            details: "",
          },
        ],
      });
    }
    return reply.code(500).send({
      errors: [
        {
          code: "InternalFailure",
          message: "We encountered an internal error. Please try again.",
          details: "",
        },
      ],
    });
  });
  app.setNotFoundHandler((_request, reply) =>
    reply.code(404).send({
      errors: [{ code: "NotFound", message: "The requested resource was not found.", details: "" }],
    }),
  );

  registerAdminRoutes(app, context);
  registerLwaRoutes(app, context);
  registerOrdersRoutes(app, context);
  registerReportsRoutes(app, context);
  registerFinancesRoutes(app, context);
  registerSellerDataRoutes(app, context, seed);
  registerApplicationRoutes(app, context);

  return {
    app,
    context,
    applicationId: lwa.applicationId,
    clientId: lwa.clientId,
    clientSecret: () => lwa.clientSecret,
    sellers,
  };
}

export interface RunningSandbox {
  sandbox: Sandbox;
  endpoint: string;
  lwaTokenUrl: string;
  consentUrl: string;
  /** What the start-up line prints: everything a script needs to connect. */
  startupInfo(): Record<string, unknown>;
  close(): Promise<void>;
}

/** Starts the sandbox on loopback (port 0: any free port). */
export async function listenSandbox(
  options: SandboxOptions & { port?: number } = {},
): Promise<RunningSandbox> {
  const sandbox = buildSandbox(options);
  await sandbox.app.listen({ host: "127.0.0.1", port: options.port ?? 0 });
  const address = sandbox.app.server.address();
  if (!address || typeof address === "string") throw new Error("sandbox did not bind a TCP port");
  const endpoint = `http://127.0.0.1:${address.port}`;
  const lwaTokenUrl = `${endpoint}/auth/o2/token`;
  const consentUrl = `${endpoint}/apps/authorize/consent`;
  return {
    sandbox,
    endpoint,
    lwaTokenUrl,
    consentUrl,
    startupInfo: () => ({
      endpoint,
      lwaTokenUrl,
      consentUrl,
      adminUrl: `${endpoint}/_sandbox/faults`,
      applicationId: sandbox.applicationId,
      clientId: sandbox.clientId,
      clientSecret: sandbox.clientSecret(),
      redirectUris: sandbox.context.lwa.redirectUris,
      timeScale: sandbox.context.time.timeScale,
      sellers: sandbox.sellers.map((s) => ({
        sellingPartnerId: s.sellingPartnerId,
        refreshToken: s.refreshToken,
        marketplaceIds: s.marketplaceIds,
        storeName: s.storeName,
        piiRole: s.piiRole,
      })),
    }),
    close: () => sandbox.app.close(),
  };
}
