// Canary values pushed through every way a secret reaches a process (headers, query strings, bodies,
// thrown errors, direct log calls) must never appear in a log line or an error answer. Each test also
// checks the lines are still JSON carrying their non-secret fields, so silence cannot pass for safety.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type App, buildApp } from "../src/app.js";
import { loadConfig } from "../src/config/config.js";
import { migrateToLatest } from "../src/db/migrate.js";
import { ManualClock } from "../src/platform/clock.js";
import { makeTestApp, type TestApp } from "./support/app.js";
import { capturingLogger } from "./support/log-capture.js";
import { openTestStore, type TestStore, tempDir } from "./support/stores.js";
import { testCertificate } from "./support/tls.js";

type LogLine = Record<string, unknown>;

/** Every canary handed out in this file, for the whole-log sweep. */
const issued: string[] = [];

/** A value that cannot occur by accident: its presence anywhere is a leak. */
function canary(label: string): string {
  const value = `CANARY${label}${randomBytes(8).toString("hex")}`;
  issued.push(value);
  return value;
}

function parseLines(lines: readonly string[]): LogLine[] {
  return lines.map((line, index) => {
    try {
      return JSON.parse(line) as LogLine;
    } catch {
      throw new Error(`log line ${index} is not JSON: ${line.slice(0, 300)}`);
    }
  });
}

function expectNoCanary(where: string, text: string, canaries: readonly string[]): void {
  for (const value of canaries) {
    const at = text.indexOf(value);
    const excerpt = at === -1 ? "" : text.slice(Math.max(0, at - 160), at + value.length + 40);
    expect(at, `${where} contains canary ${value}: ...${excerpt}...`).toBe(-1);
  }
}

const STACK_FRAME = /\n\s+at \S|\bat (?:[^\s()]+ )?\(?(?:file:\/\/|node:|\/)[^\s()]*:\d+:\d+\)?/;

function expectCatalogError(body: string, code: string): void {
  const parsed = JSON.parse(body) as { error?: { code?: unknown; message?: unknown; requestId?: unknown } };
  expect(parsed.error?.code).toBe(code);
  expect(typeof parsed.error?.message).toBe("string");
  expect(String(parsed.error?.requestId)).toMatch(/^req_/);
  expect(STACK_FRAME.test(body), `stack trace in answer: ${body}`).toBe(false);
}

function linesWithMsg(lines: readonly LogLine[], msg: string): LogLine[] {
  return lines.filter((line) => line.msg === msg);
}

// ---------------------------------------------------------------------------------------------------------

describe("the running app (makeTestApp, level info)", () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await makeTestApp();
  });

  afterAll(async () => {
    await t?.close();
  });

  test("credential headers never reach a log line", async () => {
    const canaries = [canary("Bearer"), canary("Cookie"), canary("AmzToken"), canary("ApiKey")];
    const [bearer, cookie, amz, apiKey] = canaries as [string, string, string, string];
    const before = t.logs.lines.length;
    for (const url of ["/healthz", "/api/nowhere"]) {
      const res = await t.app.inject({
        method: "GET",
        url,
        headers: {
          authorization: `Bearer ${bearer}`,
          cookie: `sp_session=${cookie}; theme=dark`,
          "x-amz-access-token": amz,
          "x-api-key": apiKey,
          "user-agent": "canary-test-agent",
        },
      });
      expectNoCanary(`answer to ${url}`, res.body, canaries);
    }
    const lines = parseLines(t.logs.lines.slice(before));
    expectNoCanary("log output", t.logs.lines.slice(before).join(""), canaries);
    // Logging still works: both requests were logged by url and status.
    const completed = linesWithMsg(lines, "request completed");
    expect(completed.map((line) => (line.res as { statusCode?: unknown } | undefined)?.statusCode)).toEqual([
      200, 404,
    ]);
    const incoming = linesWithMsg(lines, "incoming request");
    expect(incoming.map((line) => (line.req as { url?: unknown } | undefined)?.url)).toEqual([
      "/healthz",
      "/api/nowhere",
    ]);
  });

  test("secret query parameters are redacted from logged URLs, the rest of the URL is kept", async () => {
    const canaries = [
      canary("Access"),
      canary("Refresh"),
      canary("Secret"),
      canary("Encoded"),
      canary("Shape"),
    ];
    const [access, refresh, secret, encoded, shape] = canaries as [string, string, string, string, string];
    const before = t.logs.lines.length;
    const urls = [
      `/healthz?access_token=${access}&refresh_token=${refresh}&page=2`,
      `/api/nowhere?client_secret=${secret}&access%5Ftoken=${encoded}&state=visible-state`,
      `/api/nowhere?code=Atza%7C${shape}&next=visible-next`,
    ];
    for (const url of urls) {
      const res = await t.app.inject({ method: "GET", url });
      expectNoCanary(`answer to ${url}`, res.body, canaries);
    }
    const raw = t.logs.lines.slice(before);
    expectNoCanary("log output", raw.join(""), canaries);
    const logged = linesWithMsg(parseLines(raw), "incoming request").map((line) =>
      String((line.req as { url?: unknown } | undefined)?.url),
    );
    expect(logged).toHaveLength(3);
    expect(logged[0]).toContain("/healthz?");
    expect(logged[0]).toContain("access_token=[REDACTED]");
    expect(logged[0]).toContain("page=2");
    expect(logged[1]).toContain("state=visible-state");
    expect(logged[2]).toContain("next=visible-next");
  });

  test("request bodies (well-formed or not) are never logged and never echoed", async () => {
    const canaries = [canary("Password"), canary("ClientSecret"), canary("RefreshToken"), canary("Plain")];
    const [password, clientSecret, refreshToken, plain] = canaries as [string, string, string, string];
    const before = t.logs.lines.length;
    const json = JSON.stringify({ password, clientSecret, refreshToken, note: plain });
    const sends = [
      { url: "/api/nowhere", payload: json, contentType: "application/json", status: 404, code: "NOT_FOUND" },
      { url: "/healthz", payload: json, contentType: "application/json", status: 404, code: "NOT_FOUND" },
      // Broken JSON: parsers like to quote the offending input in their error message.
      {
        url: "/api/nowhere",
        payload: `{"password":"${password}","note":"${plain}",`,
        contentType: "application/json",
        status: 400,
        code: "MALFORMED_BODY",
      },
      {
        url: "/api/nowhere",
        payload: `${refreshToken}\u0000${clientSecret}`,
        contentType: "application/octet-stream",
        status: 404,
        code: "NOT_FOUND",
      },
    ];
    for (const send of sends) {
      const res = await t.app.inject({
        method: "POST",
        url: send.url,
        payload: send.payload,
        headers: { "content-type": send.contentType },
      });
      expect(res.statusCode, res.body).toBe(send.status);
      expectCatalogError(res.body, send.code);
      expectNoCanary(`answer to POST ${send.url}`, res.body, canaries);
    }
    const raw = t.logs.lines.slice(before);
    expectNoCanary("log output", raw.join(""), canaries);
    const refused = linesWithMsg(parseLines(raw), "request refused").map((line) => line.code);
    expect(refused).toEqual(["NOT_FOUND", "NOT_FOUND", "MALFORMED_BODY", "NOT_FOUND"]);
  });

  test("a malformed URL carrying a token is answered without echoing it back", async () => {
    const value = canary("BadUrl");
    const res = await t.app.inject({ method: "GET", url: `/%zz/Atza|${value}` });
    expect(res.statusCode).toBe(400);
    expectNoCanary("answer to a malformed URL", res.body, [value]);
    expectCatalogError(res.body, "BAD_REQUEST");
    expectNoCanary("log output", t.logs.text(), [value]);
  });

  test("sweep: the app's whole captured log is JSON lines with no canary from any test above", () => {
    expect(t.logs.lines.length).toBeGreaterThan(10);
    const lines = parseLines(t.logs.lines);
    for (const line of lines) {
      expect(line.service).toBe("seller-pilot");
      expect(typeof line.msg).toBe("string");
    }
    expect(issued.length).toBeGreaterThan(10);
    expectNoCanary("log output", t.logs.text(), issued);
  });
});

// ---------------------------------------------------------------------------------------------------------

describe("routes that throw or log what they receive (buildApp, level trace)", () => {
  const capture = capturingLogger("trace");
  const tmp = tempDir("sp-canary-");
  let store: TestStore;
  let app: App;
  const boomCanary = canary("Boom");
  const causeCanary = canary("Cause");

  // Every route declares its access or start-up fails; these test routes are public.
  const PUBLIC = { config: { permission: "public" as const } };

  beforeAll(async () => {
    const config = loadConfig({ SELLER_PILOT_DATA_DIR: tmp.dir }, tmp.dir);
    store = await openTestStore("sqlite");
    await migrateToLatest(store.database.db);
    app = await buildApp({
      config,
      logger: capture.logger,
      database: store.database,
      clock: new ManualClock("2026-11-28T12:00:00.000Z"),
      tls: await testCertificate(),
      version: "0.1.0-test",
      webRoot: null,
    });
    app.get("/boom", PUBLIC, async () => {
      throw new Error(`refresh failed for Atzr|${boomCanary}`);
    });
    app.get("/boom-cause", PUBLIC, async () => {
      throw new Error("token exchange failed", {
        cause: new Error(`client secret amzn1.oa2-cs.v1.${causeCanary} rejected`),
      });
    });
    app.post("/echo-body", PUBLIC, async (request) => {
      request.log.info({ body: request.body }, "received body");
      return { received: true };
    });
    app.get("/echo-headers", PUBLIC, async (request) => {
      request.log.info({ headers: request.headers }, "received headers");
      return { received: true };
    });
    app.get("/echo-query", PUBLIC, async (request) => {
      request.log.info({ query: request.query, params: request.params }, "received query");
      return { received: true };
    });
    await app.ready();
  });

  afterAll(async () => {
    await app?.close();
    await store?.dispose();
    tmp.remove();
  });

  test("a thrown error with a refresh token: 500 INTERNAL, no canary or stack anywhere, error still logged", async () => {
    const before = capture.lines.length;
    const res = await app.inject({ method: "GET", url: "/boom" });
    expect(res.statusCode).toBe(500);
    expectCatalogError(res.body, "INTERNAL");
    expectNoCanary("500 answer", res.body, [boomCanary]);
    expect(res.body).not.toContain("refresh failed");

    const raw = capture.lines.slice(before);
    expectNoCanary("log output", raw.join(""), [boomCanary]);
    const failed = linesWithMsg(parseLines(raw), "request failed");
    expect(failed).toHaveLength(1);
    const err = failed[0]?.err as { type?: unknown; message?: unknown; stack?: unknown } | undefined;
    // The operator still learns what happened: the type, the scrubbed message and where it was thrown.
    expect(err?.type).toBe("Error");
    expect(err?.message).toBe("refresh failed for [REDACTED]");
    expect(String(err?.stack)).toContain("log-canary.test.ts");
  });

  test("a thrown error whose cause carries an LWA client secret: the cause is logged, the secret is not", async () => {
    const before = capture.lines.length;
    const res = await app.inject({ method: "GET", url: "/boom-cause" });
    expect(res.statusCode).toBe(500);
    expectCatalogError(res.body, "INTERNAL");
    expectNoCanary("500 answer", res.body, [causeCanary]);

    const raw = capture.lines.slice(before);
    expectNoCanary("log output", raw.join(""), [causeCanary]);
    const failed = linesWithMsg(parseLines(raw), "request failed");
    expect(failed).toHaveLength(1);
    const err = failed[0]?.err as { message?: unknown; cause?: { message?: unknown } } | undefined;
    expect(err?.message).toBe("token exchange failed");
    expect(err?.cause?.message).toBe("client secret [REDACTED] rejected");
  });

  test("a route logging its JSON body: secret fields redacted at any depth, plain fields kept", async () => {
    const canaries = [canary("Password"), canary("ClientSecret"), canary("RefreshToken"), canary("Deep")];
    const [password, clientSecret, refreshToken, deep] = canaries as [string, string, string, string];
    const before = capture.lines.length;
    const res = await app.inject({
      method: "POST",
      url: "/echo-body",
      payload: {
        password,
        clientSecret,
        refreshToken,
        note: "plain-visible-note",
        accounts: [{ name: "brand-a", credentials: { lwa: deep } }],
      },
    });
    expect(res.statusCode).toBe(200);
    const raw = capture.lines.slice(before);
    expectNoCanary("log output", raw.join(""), canaries);
    const [line] = linesWithMsg(parseLines(raw), "received body");
    const body = line?.body as Record<string, unknown> | undefined;
    expect(body?.note).toBe("plain-visible-note");
    expect(body?.password).toBe("[REDACTED]");
    expect((body?.accounts as Array<{ name?: unknown }> | undefined)?.[0]?.name).toBe("brand-a");
  });

  test("a route logging its headers: credential headers redacted, the others kept", async () => {
    const canaries = [canary("Bearer"), canary("Cookie"), canary("AmzToken"), canary("ApiKey")];
    const [bearer, cookie, amz, apiKey] = canaries as [string, string, string, string];
    const before = capture.lines.length;
    const res = await app.inject({
      method: "GET",
      url: "/echo-headers",
      headers: {
        authorization: `Bearer ${bearer}`,
        cookie: `sp_session=${cookie}`,
        "x-amz-access-token": amz,
        "x-api-key": apiKey,
        "user-agent": "canary-visible-agent",
      },
    });
    expect(res.statusCode).toBe(200);
    const raw = capture.lines.slice(before);
    expectNoCanary("log output", raw.join(""), canaries);
    const [line] = linesWithMsg(parseLines(raw), "received headers");
    const headers = line?.headers as Record<string, unknown> | undefined;
    expect(headers?.["user-agent"]).toBe("canary-visible-agent");
    expect(headers?.authorization).toBe("[REDACTED]");
  });

  test("a route logging its parsed query (fastify's null-prototype object): secret parameters redacted", async () => {
    const canaries = [canary("AccessQ"), canary("RefreshQ"), canary("SecretQ")];
    const [access, refresh, secret] = canaries as [string, string, string];
    const before = capture.lines.length;
    const res = await app.inject({
      method: "GET",
      url: `/echo-query?access_token=${access}&refresh_token=${refresh}&client_secret=${secret}&page=7`,
    });
    expect(res.statusCode).toBe(200);
    const raw = capture.lines.slice(before);
    expectNoCanary("log output", raw.join(""), canaries);
    const [line] = linesWithMsg(parseLines(raw), "received query");
    expect((line?.query as Record<string, unknown> | undefined)?.page).toBe("7");
  });
});

// ---------------------------------------------------------------------------------------------------------

describe("direct logger calls (capturingLogger, level trace)", () => {
  function logOnce(write: (logger: ReturnType<typeof capturingLogger>["logger"]) => void): {
    raw: string;
    lines: LogLine[];
  } {
    const capture = capturingLogger("trace");
    write(capture.logger);
    return { raw: capture.text(), lines: parseLines(capture.lines) };
  }

  test("nested secret keys and a token in the message", () => {
    const c = canary("Nested");
    const { raw, lines } = logOnce((logger) =>
      logger.info(
        {
          password: c,
          nested: { refreshToken: c, list: [{ clientSecret: c, sku: "SKU-1" }] },
          orderCount: 3,
        },
        `msg with Atza|${c}`,
      ),
    );
    expectNoCanary("log output", raw, [c]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: "info",
      msg: "msg with [REDACTED]",
      orderCount: 3,
      password: "[REDACTED]",
      nested: { refreshToken: "[REDACTED]", list: [{ clientSecret: "[REDACTED]", sku: "SKU-1" }] },
    });
  });

  test("an error object carrying a refresh token", () => {
    const c = canary("ErrObj");
    const { raw, lines } = logOnce((logger) =>
      logger.error({ err: new Error(`Atzr|${c}`) }, "refresh failed"),
    );
    expectNoCanary("log output", raw, [c]);
    expect(lines).toHaveLength(1);
    const err = lines[0]?.err as { type?: unknown; message?: unknown; stack?: unknown } | undefined;
    expect(lines[0]?.msg).toBe("refresh failed");
    expect(err?.type).toBe("Error");
    expect(err?.message).toBe("[REDACTED]");
    expect(String(err?.stack)).toContain("log-canary.test.ts");
  });

  test("an error object carrying a refresh token, with no message of its own", () => {
    const c = canary("ErrNoMsg");
    const { raw, lines } = logOnce((logger) => logger.error({ err: new Error(`Atzr|${c}`) }));
    expectNoCanary("log output", raw, [c]);
    expect(lines).toHaveLength(1);
    expect(lines[0]?.level).toBe("error");
    expect((lines[0]?.err as { type?: unknown } | undefined)?.type).toBe("Error");
  });

  test("an error passed as the only argument, with a secret-bearing cause", () => {
    const c = canary("ErrArg");
    const { raw, lines } = logOnce((logger) =>
      logger.error(new Error("lwa call failed", { cause: new Error(`amzn1.oa2-cs.v1.${c}`) })),
    );
    expectNoCanary("log output", raw, [c]);
    expect(lines).toHaveLength(1);
    expect(lines[0]?.msg).toBe("lwa call failed");
    expect((lines[0]?.err as { cause?: { message?: unknown } } | undefined)?.cause?.message).toBe(
      "[REDACTED]",
    );
  });

  test("printf-style interpolation of a token string", () => {
    const c = canary("Interp");
    const { raw, lines } = logOnce((logger) => logger.info("interpolated %s", `Atza|${c}`));
    expectNoCanary("log output", raw, [c]);
    expect(lines[0]?.msg).toBe("interpolated [REDACTED]");
  });

  test("printf-style interpolation of an object with secret keys", () => {
    const c = canary("InterpObj");
    const { raw, lines } = logOnce((logger) =>
      logger.info("request body %j", { password: c, marketplace: "ATVPDKIKX0DER" }),
    );
    expectNoCanary("log output", raw, [c]);
    expect(lines).toHaveLength(1);
    expect(String(lines[0]?.msg)).toContain("ATVPDKIKX0DER");
  });

  test("child logger bindings", () => {
    const c = canary("Child");
    const { raw, lines } = logOnce((logger) => {
      const child = logger.child({ apiKey: c, accountId: "acct-visible" });
      child.info("x");
      child.child({ session: { token: c }, jobId: "job-visible" }).warn("grandchild");
    });
    expectNoCanary("log output", raw, [c]);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ msg: "x", accountId: "acct-visible" });
    expect(lines[1]).toMatchObject({
      msg: "grandchild",
      level: "warn",
      accountId: "acct-visible",
      jobId: "job-visible",
    });
  });
});
