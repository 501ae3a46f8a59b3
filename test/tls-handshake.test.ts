// The TLS floor, checked the only way that counts: real clients handshaking with the real app over a real
// socket. A control server first proves this machine's client can still speak TLS 1.0/1.1, so a refusal
// by our app is the app's doing and not the client's.
import { execFile, spawnSync } from "node:child_process";
import type { IncomingHttpHeaders } from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import tls from "node:tls";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { makeTestApp, type TestApp } from "./support/app.js";
import { testCertificate } from "./support/tls.js";

const TIMEOUT_MS = 5_000;
const LEGACY_CLIENT = { ciphers: "DEFAULT@SECLEVEL=0" } as const;

type Handshake =
  | { ok: true; protocol: string | null; cipher: string }
  | { ok: false; code: string | undefined; message: string };

function handshake(port: number, options: tls.ConnectionOptions): Promise<Handshake> {
  return new Promise((resolve) => {
    const socket = tls.connect({
      host: "127.0.0.1",
      port,
      servername: "localhost",
      rejectUnauthorized: false,
      ...options,
    });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ ok: false, code: "TIMEOUT", message: `no handshake outcome within ${TIMEOUT_MS} ms` });
    }, TIMEOUT_MS);
    socket.once("secureConnect", () => {
      clearTimeout(timer);
      resolve({ ok: true, protocol: socket.getProtocol(), cipher: socket.getCipher().name });
      socket.destroy();
    });
    socket.once("error", (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ ok: false, code: err.code, message: err.message });
    });
  });
}

interface HttpsAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  protocol: string | null;
}

function getOver(
  port: number,
  path: string,
  options: Pick<tls.ConnectionOptions, "minVersion" | "maxVersion">,
) {
  return new Promise<HttpsAnswer>((resolve, reject) => {
    const req = https.request(
      {
        host: "127.0.0.1",
        port,
        path,
        method: "GET",
        servername: "localhost",
        headers: { host: `localhost:${port}` },
        rejectUnauthorized: false,
        agent: false,
        timeout: TIMEOUT_MS,
        ...options,
      },
      (res) => {
        const protocol = (res.socket as tls.TLSSocket).getProtocol();
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString("utf8"),
            protocol,
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on("error", reject);
    req.end();
  });
}

const OPENSSL = spawnSync("openssl", ["version"], { encoding: "utf8", timeout: 5_000 }).status === 0;

function sClient(
  port: number,
  versionFlag: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      "openssl",
      [
        "s_client",
        "-connect",
        `127.0.0.1:${port}`,
        "-servername",
        "localhost",
        versionFlag,
        "-cipher",
        "DEFAULT@SECLEVEL=0",
      ],
      { timeout: 10_000, encoding: "utf8" },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === "number" ? err.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
    // stdin closed: s_client handshakes, sees EOF, and exits.
    child.stdin?.end();
  });
}

describe("TLS protocol floor of the running app", () => {
  let control: tls.Server;
  let controlPort: number;
  let t: TestApp;
  let port: number;

  beforeAll(async () => {
    const { cert, key } = await testCertificate();
    control = tls.createServer({ cert, key, minVersion: "TLSv1", ciphers: "DEFAULT@SECLEVEL=0" }, (socket) =>
      socket.end(),
    );
    await new Promise<void>((resolve, reject) => {
      control.once("error", reject);
      control.listen(0, "127.0.0.1", () => resolve());
    });
    controlPort = (control.address() as AddressInfo).port;

    t = await makeTestApp();
    await t.app.listen({ port: 0, host: "127.0.0.1" });
    port = (t.app.server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => (control ? control.close(() => resolve()) : resolve()));
    await t?.close();
  });

  test("control: this machine's client completes TLS 1.1 and 1.0 handshakes with a permissive server", async () => {
    expect(
      await handshake(controlPort, { minVersion: "TLSv1", maxVersion: "TLSv1.1", ...LEGACY_CLIENT }),
    ).toMatchObject({ ok: true, protocol: "TLSv1.1" });
    expect(
      await handshake(controlPort, { minVersion: "TLSv1", maxVersion: "TLSv1", ...LEGACY_CLIENT }),
    ).toMatchObject({
      ok: true,
      protocol: "TLSv1",
    });
    // And a TLS 1.2 CBC suite, which the app must refuse below.
    expect(
      await handshake(controlPort, {
        minVersion: "TLSv1.2",
        maxVersion: "TLSv1.2",
        ciphers: "ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0",
      }),
    ).toMatchObject({ ok: true, protocol: "TLSv1.2", cipher: "ECDHE-ECDSA-AES128-SHA" });
  });

  test("TLS 1.1 clients are refused", async () => {
    const outcome = await handshake(port, { minVersion: "TLSv1", maxVersion: "TLSv1.1", ...LEGACY_CLIENT });
    // Refused by the server's protocol floor, not by a timeout or a closed port.
    expect(outcome).toMatchObject({
      ok: false,
      code: expect.stringMatching(/PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL/),
    });
  });

  test("TLS 1.0 clients are refused", async () => {
    const outcome = await handshake(port, { minVersion: "TLSv1", maxVersion: "TLSv1", ...LEGACY_CLIENT });
    // Refused by the server's protocol floor, not by a timeout or a closed port.
    expect(outcome).toMatchObject({
      ok: false,
      code: expect.stringMatching(/PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL/),
    });
  });

  test("TLS 1.2 without a forward-secret AEAD suite is refused", async () => {
    const outcome = await handshake(port, {
      minVersion: "TLSv1.2",
      maxVersion: "TLSv1.2",
      ciphers: "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:@SECLEVEL=0",
    });
    expect(outcome).toMatchObject({
      ok: false,
      code: expect.stringMatching(/HANDSHAKE_FAILURE|NO_SHARED_CIPHER/),
    });
  });

  test.each([["TLSv1.2" as const], ["TLSv1.3" as const]])(
    "%s: handshake succeeds and GET /healthz is 200 with HSTS",
    async (version) => {
      const outcome = await handshake(port, { minVersion: version, maxVersion: version });
      expect(outcome).toMatchObject({ ok: true, protocol: version });
      if (outcome.ok && version === "TLSv1.2")
        expect(outcome.cipher).toMatch(/-(GCM-SHA\d+|CHACHA20-POLY1305)$/);

      const answer = await getOver(port, "/healthz", { minVersion: version, maxVersion: version });
      expect(answer.protocol).toBe(version);
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toEqual({ status: "ok" });
      expect(String(answer.headers["strict-transport-security"])).toContain("max-age=63072000");
    },
  );

  test.runIf(OPENSSL)(
    "openssl s_client: -tls1_1 fails against the app, -tls1_2 and -tls1_3 succeed",
    async () => {
      // Control: the same client and flags succeed against the permissive server.
      const controlRun = await sClient(controlPort, "-tls1_1");
      expect(controlRun.code, controlRun.stderr).toBe(0);
      expect(controlRun.stdout).toMatch(/Protocol\s*:\s*TLSv1\.1/);

      const legacy = await sClient(port, "-tls1_1");
      expect(legacy.code, legacy.stdout).not.toBe(0);
      expect(legacy.stderr).toMatch(/alert protocol version|no protocols available|unsupported protocol/i);

      const modern = await sClient(port, "-tls1_2");
      expect(modern.code, modern.stderr).toBe(0);
      expect(modern.stdout).toMatch(/Protocol\s*:\s*TLSv1\.2/);

      const newest = await sClient(port, "-tls1_3");
      expect(newest.code, newest.stderr).toBe(0);
      expect(newest.stdout).toMatch(/TLSv1\.3/);
    },
  );
});
