import Fastify from "fastify";
import type { Kysely } from "kysely";
import { describe, expect, it } from "vitest";
import type { DB } from "../db/schema.js";
import type { HttpsApp } from "../http/types.js";
import { registerAuthentication } from "./authentication.js";

async function bareApp() {
  const app = Fastify() as unknown as HttpsApp;
  await registerAuthentication(app, { db: {} as Kysely<DB>, credentials: null });
  return app;
}

describe("route declarations are enforced at start-up", () => {
  it("refuses a route without a declaration, with a misspelt one, or a permission without :accountId", async () => {
    const app = await bareApp();
    expect(() => app.get("/api/undeclared", async () => ({}))).toThrow(/declares no valid config.permission/);
    expect(() =>
      app.get("/api/typo", { config: { permission: "orders:raed" as never } }, async () => ({})),
    ).toThrow(/declares no valid/);
    expect(() => app.get("/api/orders", { config: { permission: "orders:read" } }, async () => ({}))).toThrow(
      /has no :accountId/,
    );
    // Declared routes register; without identity wired in, anything beyond public fails closed.
    app.get("/open", { config: { permission: "public" } }, async () => ({ ok: true }));
    app.get("/me", { config: { permission: "authenticated" } }, async () => ({ ok: true }));
    app.get("/api/accounts/:accountId/orders", { config: { permission: "orders:read" } }, async () => []);
    await app.ready();
    expect((await app.inject({ method: "GET", url: "/open" })).statusCode).toBe(200);
    for (const url of ["/me", "/api/accounts/a1/orders"]) {
      const res = await app.inject({ method: "GET", url, cookies: { "__Host-sp_session": "x".repeat(43) } });
      expect(res.statusCode, url).toBe(401);
    }
    await app.close();
  });

  it("a plugin registered later cannot slip an undeclared route in", async () => {
    const app = await bareApp();
    await expect(
      app.register(async (child) => {
        child.post("/api/hidden", async () => ({}));
      }),
    ).rejects.toThrow(/declares no valid/);
  });
});
