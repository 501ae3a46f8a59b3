import helmet from "@fastify/helmet";
import Fastify, { type FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import {
  CONTENT_SECURITY_POLICY,
  HSTS_MAX_AGE_SECONDS,
  registerSecurityHeaders,
} from "./security-headers.js";
import type { HttpsApp } from "./types.js";

const apps: FastifyInstance[] = [];

afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

function routes(app: FastifyInstance): void {
  app.get("/ok", async () => ({ ok: true }));
  app.get("/cached", async (_request, reply) => reply.header("cache-control", "no-cache").send("x"));
  app.get("/fails", async () => {
    throw Object.assign(new Error("nope"), { statusCode: 409 });
  });
}

async function withPlan(): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  apps.push(app);
  await registerSecurityHeaders(app as unknown as HttpsApp);
  routes(app);
  return app;
}

/** What @fastify/helmet itself sends under the same options, for every request. */
async function withHelmetPlugin(): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  apps.push(app);
  await app.register(helmet, {
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
  });
  routes(app);
  return app;
}

const dropVolatile = (headers: Record<string, unknown>) => {
  const { date: _date, "content-length": _length, ...rest } = headers;
  return rest;
};

describe("security headers", () => {
  it("are the headers helmet sends, on answers, errors and not-found alike", async () => {
    const ours = await withPlan();
    const reference = await withHelmetPlugin();
    for (const url of ["/ok", "/fails", "/missing"]) {
      const a = await ours.inject({ method: "GET", url });
      const b = await reference.inject({ method: "GET", url });
      expect(a.statusCode).toBe(b.statusCode);
      const expected = dropVolatile(b.headers);
      const actual = dropVolatile(a.headers);
      for (const [name, value] of Object.entries(expected)) expect(actual[name], name).toBe(value);
      expect(actual["strict-transport-security"]).toBe("max-age=63072000; includeSubDomains");
      expect(actual["x-frame-options"]).toBe("DENY");
      expect(actual["permissions-policy"]).toContain("camera=()");
      expect(actual["cache-control"]).toBe("no-store");
      expect(actual["x-powered-by"]).toBeUndefined();
    }
  });

  it("leave a route's own cache-control alone", async () => {
    const ours = await withPlan();
    const res = await ours.inject({ method: "GET", url: "/cached" });
    expect(res.headers["cache-control"]).toBe("no-cache");
    expect(res.headers["content-security-policy"]).toContain("frame-ancestors 'none'");
  });
});
