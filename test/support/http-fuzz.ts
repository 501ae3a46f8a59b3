// What every answer to an injected request must look like, and the property that checks it.
import fc from "fast-check";
import { expect } from "vitest";
import { ERROR_CODES } from "../../src/platform/errors.js";
import type { TestApp } from "./app.js";
import { type FuzzRequest, request } from "./http-fuzz-requests.js";

const INJECT_TIMEOUT_MS = 5_000;

/** Resolves with the promise's value, or rejects once `ms` have passed: a hang is a failure, not a stall. */
async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const CATALOG = new Set(Object.keys(ERROR_CODES));
const ERROR_KEYS = new Set(["code", "message", "requestId", "details"]);
/** "    at fn (file.js:1:2)" / "at file:///x.js:1:2": the shapes a V8 stack frame takes. */
const STACK_FRAME = /\bat (?:[^\s()]+ )?\(?(?:file:\/\/|node:|\/)[^\s()]*:\d+:\d+\)?/;
const LEAK_MARKERS: ReadonlyArray<[string, RegExp]> = [
  ["a stack frame", STACK_FRAME],
  ["a newline-indented stack frame", /\n\s+at \S/],
  ["SQL (SELECT)", /\bSELECT\b/],
  ["SQL (INSERT)", /\bINSERT\b/],
  ["a dependency path", /node_modules/],
];

function describeRequest(req: FuzzRequest): string {
  const payload =
    req.payload === undefined
      ? "no body"
      : `${Buffer.byteLength(req.payload)}-byte body ${JSON.stringify(String(req.payload).slice(0, 80))}`;
  return `${req.method} ${JSON.stringify(req.url.slice(0, 200))} headers=${JSON.stringify(req.headers)} ${payload}`;
}

function checkErrorBody(text: string, responseRequestId: unknown): string | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return `4xx body is not JSON: ${text.slice(0, 200)}`;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return `4xx body is not an object: ${text}`;
  }
  const keys = Object.keys(parsed);
  if (keys.length !== 1 || keys[0] !== "error") return `4xx body has keys ${JSON.stringify(keys)}: ${text}`;
  const error = (parsed as { error: unknown }).error;
  if (typeof error !== "object" || error === null || Array.isArray(error)) {
    return `"error" is not an object: ${text}`;
  }
  const fields = error as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (!ERROR_KEYS.has(key)) return `unexpected field error.${key}: ${text}`;
  }
  if (typeof fields.code !== "string" || !CATALOG.has(fields.code)) {
    return `error.code is not a catalog code: ${text}`;
  }
  if (typeof fields.message !== "string" || fields.message.length === 0) {
    return `error.message missing: ${text}`;
  }
  if (typeof fields.requestId !== "string" || !/^req_[A-Za-z0-9_-]+$/.test(fields.requestId)) {
    return `error.requestId missing or malformed: ${text}`;
  }
  if (responseRequestId !== undefined && responseRequestId !== fields.requestId) {
    return `error.requestId ${fields.requestId} differs from x-request-id ${String(responseRequestId)}`;
  }
  if ("details" in fields && (typeof fields.details !== "object" || fields.details === null)) {
    return `error.details is not an object: ${text}`;
  }
  return null;
}

/** Examples run first on every seed: the shapes most likely to regress. */
const EXAMPLES: FuzzRequest[] = [
  { method: "GET", url: "/%", headers: {}, payload: undefined },
  { method: "GET", url: "/api/%E0%A4%A", headers: {}, payload: undefined },
  { method: "POST", url: "/api/x", headers: { "content-type": "application/json" }, payload: '{"a":' },
  {
    method: "POST",
    url: "/healthz",
    headers: { "content-type": "application/json" },
    payload: '{"__proto__":{"polluted":true}}',
  },
  { method: "OPTIONS", url: "/healthz", headers: {}, payload: undefined },
  { method: "GET", url: `/${"a".repeat(20_000)}`, headers: {}, payload: undefined },
  { method: "GET", url: "/assets/%2e%2e/%2e%2e/outside.txt", headers: {}, payload: undefined },
  { method: "GET", url: "/.env", headers: { accept: "text/html" }, payload: undefined },
];

/** Runs the property against one app; `forbidden` lists strings no response may ever contain. */
export async function fuzzInject(t: TestApp, forbidden: readonly string[]): Promise<number> {
  let injected = 0;
  await fc.assert(
    fc.asyncProperty(request, async (req) => {
      injected += 1;
      const res = await within(
        INJECT_TIMEOUT_MS,
        `inject ${req.method} ${req.url.slice(0, 80)}`,
        t.app.inject({
          method: req.method,
          url: req.url,
          headers: req.headers,
          ...(req.payload === undefined ? {} : { payload: req.payload }),
        }),
      );
      const context = `${res.statusCode} for ${describeRequest(req)}\n${res.body.slice(0, 400)}`;
      expect(res.statusCode, context).toBeGreaterThanOrEqual(200);
      expect(res.statusCode, context).toBeLessThan(500);
      for (const [what, marker] of LEAK_MARKERS) {
        expect(marker.test(res.body), `response contains ${what}: ${context}`).toBe(false);
      }
      for (const marker of forbidden) {
        expect(res.body.includes(marker), `response contains ${marker}: ${context}`).toBe(false);
      }
      if (res.statusCode >= 400 && req.method !== "HEAD") {
        const contentType = String(res.headers["content-type"] ?? "");
        expect(contentType, `4xx must be JSON: ${context}`).toMatch(/^application\/json\b/);
        expect(checkErrorBody(res.body, res.headers["x-request-id"]), context).toBeNull();
      }
    }),
    { numRuns: 300, examples: EXAMPLES.map((example) => [example]) },
  );
  return injected;
}
