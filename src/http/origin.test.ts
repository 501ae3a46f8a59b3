import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { capturingLogger } from "../../test/support/log-capture.js";
import { isSafeHost, originOf } from "./origin.js";
import { createRedirectServer } from "./redirect-server.js";

describe("originOf", () => {
  it("prefers the configured public URL", () => {
    expect(originOf("https://pilot.example.com", "evil.example", 8443)).toBe("https://pilot.example.com");
  });

  it("uses a well-formed Host, swapping in the HTTPS port", () => {
    expect(originOf(null, "shop.local:8080", 8443)).toBe("https://shop.local:8443");
    expect(originOf(null, "[::1]:8080", 8443)).toBe("https://[::1]:8443");
    expect(originOf(null, "127.0.0.1", 443)).toBe("https://127.0.0.1");
  });

  it("falls back to localhost for anything that is not a plain host", () => {
    for (const host of [
      "evil.example/path",
      "a b",
      "x\r\nSet-Cookie: y",
      "@evil",
      "",
      undefined,
      "a".repeat(300),
    ]) {
      expect(isSafeHost(host), String(host)).toBe(false);
      expect(originOf(null, host, 8443)).toBe("https://localhost:8443");
    }
  });
});

describe("redirect listener", () => {
  let server: http.Server | null = null;
  afterEach(async () => {
    const s = server;
    if (s) await new Promise((resolve) => s.close(resolve));
    server = null;
  });

  async function listen(publicUrl: string | null) {
    server = createRedirectServer({ publicUrl, httpsPort: 8443, logger: capturingLogger().logger });
    const s = server;
    await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
    return (s.address() as AddressInfo).port;
  }

  function request(port: number, method: string, path: string, host: string) {
    return new Promise<{ status: number; location: string | undefined; body: string }>((resolve, reject) => {
      const req = http.request({ host: "127.0.0.1", port, method, path, headers: { host } }, (res) => {
        let body = "";
        res.on("data", (chunk) => {
          body += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, location: res.headers.location, body }));
      });
      req.on("error", reject);
      req.end(method === "POST" ? "secret=1" : undefined);
    });
  }

  it("answers every method with 308 to the same path over HTTPS and serves nothing else", async () => {
    const port = await listen(null);
    for (const method of ["GET", "POST", "DELETE"]) {
      const res = await request(port, method, "/api/orders?page=2", `localhost:${port}`);
      expect(res).toEqual({ status: 308, location: "https://localhost:8443/api/orders?page=2", body: "" });
    }
  });

  it("redirects to the public URL when one is configured", async () => {
    const port = await listen("https://pilot.example.com");
    const res = await request(port, "GET", "/healthz", "evil.example");
    expect(res.location).toBe("https://pilot.example.com/healthz");
  });
});
