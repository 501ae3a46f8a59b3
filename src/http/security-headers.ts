import type { OutgoingHttpHeader, OutgoingHttpHeaders } from "node:http";
import helmet, { type FastifyHelmetOptions } from "@fastify/helmet";
import Fastify from "fastify";
import type { HttpsApp } from "./types.js";

/** Same-origin everything: no inline script or style, no third-party origin, no framing. */
export const CONTENT_SECURITY_POLICY: Readonly<Record<string, readonly string[]>> = {
  "default-src": ["'self'"],
  "script-src": ["'self'"],
  "style-src": ["'self'"],
  "img-src": ["'self'", "data:"],
  "connect-src": ["'self'"],
  "font-src": ["'self'"],
  "object-src": ["'none'"],
  "base-uri": ["'none'"],
  "frame-ancestors": ["'none'"],
  "form-action": ["'self'"],
  "upgrade-insecure-requests": [],
};

export const HSTS_MAX_AGE_SECONDS = 63_072_000; // two years

const PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()";

const HELMET_OPTIONS: FastifyHelmetOptions = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: Object.fromEntries(
      Object.entries(CONTENT_SECURITY_POLICY).map(([name, values]) => [name, [...values]]),
    ),
  },
  strictTransportSecurity: { maxAge: HSTS_MAX_AGE_SECONDS, includeSubDomains: true, preload: false },
  crossOriginOpenerPolicy: { policy: "same-origin" },
  crossOriginResourcePolicy: { policy: "same-origin" },
  crossOriginEmbedderPolicy: false,
  referrerPolicy: { policy: "no-referrer" },
  frameguard: { action: "deny" },
  xPoweredBy: true,
};

/**
 * The headers helmet gives a response under our options, recorded once from a scratch instance. The policy
 * is static (no nonces, no directive functions), so every response gets the same list: @fastify/helmet
 * rebuilt the whole helmet middleware, CSP parsing included, on each request to arrive at it again.
 */
export async function securityHeaderPlan(): Promise<ReadonlyArray<readonly [string, OutgoingHttpHeader]>> {
  const scratch = Fastify({ logger: false });
  let recorded: OutgoingHttpHeaders = {};
  try {
    await scratch.register(helmet, HELMET_OPTIONS);
    scratch.get("/", async () => "");
    // Before writeHead the raw response holds only what helmet set on it.
    scratch.addHook("onSend", async (_request, reply) => {
      recorded = reply.raw.getHeaders();
    });
    await scratch.inject({ method: "GET", url: "/" });
  } finally {
    await scratch.close();
  }
  const plan = Object.entries(recorded).flatMap(([name, value]) =>
    value === undefined ? [] : [[name, value] as const],
  );
  if (!plan.some(([name]) => name === "content-security-policy"))
    throw new Error("helmet did not produce the security headers");
  return plan;
}

/** The options are constants, so one recording serves every app this process builds. */
let recordedPlan: ReturnType<typeof securityHeaderPlan> | null = null;

export async function registerSecurityHeaders(app: HttpsApp): Promise<void> {
  recordedPlan ??= securityHeaderPlan();
  const plan = await recordedPlan;
  // On the raw response, as helmet does: a route's own reply.header() for the same name still wins.
  app.addHook("onRequest", (_request, reply, done) => {
    for (const [name, value] of plan) reply.raw.setHeader(name, value);
    done();
  });
  app.addHook("onSend", (_request, reply, payload, done) => {
    reply.header("permissions-policy", PERMISSIONS_POLICY);
    if (!reply.hasHeader("cache-control")) reply.header("cache-control", "no-store");
    done(null, payload);
  });
}
