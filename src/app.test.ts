import { promises as fs } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { makeTestApp, type TestApp } from "../test/support/app.js";
import { STORES, tempDir } from "../test/support/stores.js";
import { MIGRATIONS } from "./db/migrations/index.js";
import { ERROR_CODES } from "./platform/errors.js";

const running: TestApp[] = [];
afterEach(async () => {
  for (const t of running.splice(0)) await t.close();
});
async function start(options: Parameters<typeof makeTestApp>[0] = {}): Promise<TestApp> {
  const t = await makeTestApp(options);
  running.push(t);
  return t;
}

for (const target of STORES) {
  describe.skipIf(target.skip)(`readiness on ${target.name}`, () => {
    it("is ready on a migrated store", async () => {
      const { app } = await start({ store: target.name });
      const res = await app.inject({ method: "GET", url: "/readyz" });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({
        status: "ready",
        checks: {
          database: { ok: true, store: target.name },
          migrations: { ok: true, applied: Object.keys(MIGRATIONS).length, pending: [] },
        },
      });
    });

    it("reports pending migrations as not ready (503)", async () => {
      const { app } = await start({ store: target.name, migrate: false });
      const res = await app.inject({ method: "GET", url: "/readyz" });
      expect(res.statusCode).toBe(503);
      expect(res.json().checks.migrations).toEqual({
        ok: false,
        applied: 0,
        pending: Object.keys(MIGRATIONS),
      });
    });
  });
}

describe("HTTP basics", () => {
  it("answers /healthz with HSTS and the strict security headers", async () => {
    const { app } = await start();
    const res = await app.inject({ method: "GET", url: "/healthz" });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: "ok" });
    expect(res.headers["strict-transport-security"]).toBe("max-age=63072000; includeSubDomains");
    const csp = String(res.headers["content-security-policy"]);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:\/\//);
    expect(res.headers["x-frame-options"]).toBe("DENY");
    expect(res.headers["x-content-type-options"]).toBe("nosniff");
    expect(res.headers["referrer-policy"]).toBe("no-referrer");
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(res.headers["x-powered-by"]).toBeUndefined();
    expect(String(res.headers["x-request-id"])).toMatch(/^req_[A-Za-z0-9_-]{12}$/);
  });

  it("sends the security headers on authentication refusals too", async () => {
    const { app } = await start();
    for (const headers of [{}, { authorization: "Bearer spt_malformed" }]) {
      const res = await app.inject({ method: "GET", url: "/api/accounts/acc_1/members", headers });
      expect(res.statusCode).toBe(401);
      expect(res.headers["strict-transport-security"]).toBe("max-age=63072000; includeSubDomains");
      expect(String(res.headers["content-security-policy"])).toContain("frame-ancestors 'none'");
      expect(res.headers["x-frame-options"]).toBe("DENY");
      expect(res.headers["cache-control"]).toBe("no-store");
    }
  });

  it("ignores a client-supplied request id", async () => {
    const { app } = await start();
    const res = await app.inject({
      method: "GET",
      url: "/nope",
      headers: { "request-id": "forged", "x-request-id": "forged" },
    });
    expect(res.json().error.requestId).not.toBe("forged");
    expect(res.json().error.requestId).toBe(res.headers["x-request-id"]);
  });

  it("answers unknown paths with the error shape and a stable code", async () => {
    const { app } = await start();
    const res = await app.inject({ method: "GET", url: "/api/does-not-exist" });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({
      error: {
        code: "NOT_FOUND",
        message: ERROR_CODES.NOT_FOUND.message,
        requestId: res.headers["x-request-id"],
      },
    });
  });

  it("maps body problems to their codes", async () => {
    const { app } = await start();
    const malformed = await app.inject({
      method: "POST",
      url: "/api/meta",
      headers: { "content-type": "application/json" },
      payload: "{not json",
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error.code).toBe("MALFORMED_BODY");
    const large = await app.inject({
      method: "POST",
      url: "/api/meta",
      headers: { "content-type": "application/json" },
      payload: JSON.stringify({ x: "a".repeat(1024 * 1024 + 10) }),
    });
    expect(large.statusCode).toBe(413);
    expect(large.json().error.code).toBe("PAYLOAD_TOO_LARGE");
  });

  it("describes the instance at /api/meta", async () => {
    const { app } = await start();
    const res = await app.inject({ method: "GET", url: "/api/meta" });
    expect(res.json()).toEqual({
      product: "Seller Pilot",
      version: "0.1.0-test",
      mode: "demo",
      securityContact: "mailto:security@localhost",
      docs: { openapi: "/api/openapi.json", securityTxt: "/.well-known/security.txt" },
    });
  });

  it("lists every route in /api/openapi.json", async () => {
    const t = await makeTestApp();
    running.push(t);
    const res = await t.app.inject({ method: "GET", url: "/api/openapi.json" });
    const doc = res.json() as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toBe("3.1.0");
    const routes = t.app
      .printRoutes({ commonPrefix: false })
      .split("\n")
      .map((line) => line.replace(/^[\s│├└─]+/, "").trim())
      .filter((line) => line.startsWith("/api/"));
    expect(routes.length).toBeGreaterThan(0);
    for (const line of routes) {
      const route = line.split(" ")[0] ?? "";
      expect(Object.keys(doc.paths), `missing ${route}`).toContain(route);
    }
    expect(doc.paths["/api/meta"]).toHaveProperty("get");
    expect(JSON.stringify(doc.paths["/api/meta"])).toContain("securityContact");
  });

  it("serves an RFC 9116 security.txt from configuration", async () => {
    const { app } = await start({
      env: {
        SELLER_PILOT_SECURITY_CONTACT: "mailto:psirt@example.com",
        SELLER_PILOT_SECURITY_TXT_EXPIRES: "2027-05-01T00:00:00Z",
        SELLER_PILOT_PUBLIC_URL: "https://pilot.example.com",
      },
    });
    const res = await app.inject({ method: "GET", url: "/.well-known/security.txt" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect(res.body).toBe(
      [
        "Contact: mailto:psirt@example.com",
        "Expires: 2027-05-01T00:00:00Z",
        "Preferred-Languages: en",
        "Canonical: https://pilot.example.com/.well-known/security.txt",
        "",
      ].join("\n"),
    );
  });

  it("rolls the development expiry from the clock and never echoes a hostile Host", async () => {
    const t = await start();
    const res = await t.app.inject({
      method: "GET",
      url: "/.well-known/security.txt",
      headers: { host: "evil.example\r\nContact: x" },
    });
    expect(res.body).toContain("Expires: 2027-05-27T12:00:00Z");
    expect(res.body).toContain("Canonical: https://localhost/.well-known/security.txt");
    t.clock.advance(86_400_000);
    const later = await t.app.inject({ method: "GET", url: "/.well-known/security.txt" });
    expect(later.body).toContain("Expires: 2027-05-28T12:00:00Z");
  });
});

describe("web app", () => {
  async function webRoot(): Promise<string> {
    const tmp = tempDir("sp-web-");
    await fs.mkdir(path.join(tmp.dir, "assets"));
    await fs.writeFile(path.join(tmp.dir, "index.html"), "<!doctype html><title>Seller Pilot</title>");
    await fs.writeFile(path.join(tmp.dir, "assets", "app-abc123.js"), "console.log('app')");
    return tmp.dir;
  }

  it("serves index.html uncached and hashed assets as immutable", async () => {
    const { app } = await start({ webRoot: await webRoot() });
    const index = await app.inject({ method: "GET", url: "/" });
    expect(index.statusCode).toBe(200);
    expect(index.body).toContain("<title>Seller Pilot</title>");
    expect(index.headers["cache-control"]).toBe("no-cache");
    expect(index.headers["content-security-policy"]).toContain("script-src 'self'");
    const asset = await app.inject({ method: "GET", url: "/assets/app-abc123.js" });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
  });

  it("falls back to the app for client routes that want HTML, and to JSON 404 otherwise", async () => {
    const { app } = await start({ webRoot: await webRoot() });
    const client = await app.inject({ method: "GET", url: "/orders/123", headers: { accept: "text/html" } });
    expect(client.statusCode).toBe(200);
    expect(client.body).toContain("<title>Seller Pilot</title>");
    const api = await app.inject({ method: "GET", url: "/api/orders", headers: { accept: "text/html" } });
    expect(api.statusCode).toBe(404);
    expect(api.json().error.code).toBe("NOT_FOUND");
    const json = await app.inject({
      method: "GET",
      url: "/orders/123",
      headers: { accept: "application/json" },
    });
    expect(json.statusCode).toBe(404);
    const post = await app.inject({ method: "POST", url: "/orders/123", headers: { accept: "text/html" } });
    expect(post.statusCode).toBe(404);
  });

  it("does not serve dotfiles or escape the web root", async () => {
    const root = await webRoot();
    await fs.writeFile(path.join(root, ".env"), "SECRET=1");
    const { app } = await start({ webRoot: root });
    for (const url of ["/.env", "/../package.json", "/assets/../../package.json", "/%2e%2e/package.json"]) {
      const res = await app.inject({ method: "GET", url });
      expect(res.body, url).not.toContain("SECRET=1");
      expect(res.body, url).not.toContain('"name": "seller-pilot"');
    }
  });
});
