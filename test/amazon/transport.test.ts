import https from "node:https";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createHttpTransport, readBody, TransportError } from "../../src/amazon/transport.js";
import type { AppError } from "../../src/platform/errors.js";
import { testCertificate } from "../support/tls.js";

const LEGACY = { ciphers: "DEFAULT@SECLEVEL=0" } as const;
const servers: https.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((resolve) => s.close(resolve));
});

async function serve(options: https.ServerOptions): Promise<string> {
  const { cert, key } = await testCertificate();
  const server = https.createServer({ cert, key, ...options }, (_req, res) => {
    res.end(JSON.stringify({ ok: true }));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

describe("outbound TLS to Amazon", () => {
  it("speaks TLS 1.2+ and refuses a server that offers only TLS 1.1", async () => {
    const { cert } = await testCertificate();
    const transport = createHttpTransport({ ca: cert, timeoutMs: 5_000 });
    try {
      const modern = await serve({ minVersion: "TLSv1.2" });
      const res = await transport.send({ method: "GET", url: modern });
      expect(res.status).toBe(200);
      expect(JSON.parse(await readBody(res.body))).toEqual({ ok: true });

      const legacy = await serve({ minVersion: "TLSv1", maxVersion: "TLSv1.1", ...LEGACY });
      // Control: a client that allows TLS 1.1 gets through, so the refusal below is about the version.
      const control = await new Promise<string | undefined>((resolve, reject) => {
        https
          .get(legacy, { ca: cert, minVersion: "TLSv1", ...LEGACY }, (r) => {
            resolve((r.socket as import("node:tls").TLSSocket).getProtocol() ?? undefined);
            r.resume();
          })
          .on("error", reject);
      });
      expect(control).toBe("TLSv1.1");
      const refused = await transport.send({ method: "GET", url: legacy }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(TransportError);
    } finally {
      transport.close();
    }
  });

  it("refuses plain http to anything but loopback before opening a socket", async () => {
    const transport = createHttpTransport();
    try {
      for (const url of [
        "http://sellingpartnerapi-na.amazon.com/x",
        "http://10.0.0.1/",
        "ftp://127.0.0.1/",
      ]) {
        const err = await transport.send({ method: "GET", url }).catch((e: unknown) => e);
        expect((err as AppError).code, url).toBe("SPAPI_ENDPOINT_INSECURE");
      }
    } finally {
      transport.close();
    }
  });
});
