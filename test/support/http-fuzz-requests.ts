// Arbitraries for app.inject(): any method, path, query, headers and body a client could send.
import fc from "fast-check";

const METHODS_UNDER_TEST = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;
type Method = (typeof METHODS_UNDER_TEST)[number];

const PREFIXES = [
  "",
  "/api",
  "/api/meta",
  "/api/openapi.json",
  "/api/v1/orders",
  "/.well-known",
  "/.well-known/security.txt",
  "/healthz",
  "/readyz",
  "/security",
  "/assets",
] as const;

const JUNK_SEGMENTS = [
  "..",
  ".",
  "...",
  "%2e%2e",
  "%2E%2E%2F",
  "..%2f..%2fetc%2fpasswd",
  "%00",
  "a%00b",
  "%",
  "%%",
  "%zz",
  "%E0%A4%A",
  "%C0%AF",
  "%ff%fe",
  "%u0041",
  "%20",
  "+",
  "~",
  "*",
  "@",
  ":",
  ";",
  ";jsessionid=1",
  "%3Cscript%3E",
  "ünï",
  "😀",
  "%F0%9F%98%80",
  "\u202e",
  "index.html",
  ".env",
  ".git",
  "SELECT%20*%20FROM%20users",
  "outside.txt",
  "assets",
  "app-abc.js",
  "index.html%00.js",
] as const;

const PRINTABLE_ASCII = fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code));
const printable = (maxLength: number) => fc.string({ unit: PRINTABLE_ASCII, maxLength });

/** Characters a client may put raw into a request target (no space, '#', '?' or controls). */
const PATH_CHAR = fc.constantFrom(
  ..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:@%/".split(""),
);

const segment = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...JUNK_SEGMENTS) },
  { weight: 3, arbitrary: fc.string({ unit: PATH_CHAR, minLength: 1, maxLength: 24 }) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 16 }).map((s) => encodeURIComponent(s)) },
  {
    weight: 1,
    arbitrary: fc.string({ unit: "grapheme", minLength: 1, maxLength: 8 }).map((s) => encodeURI(s)),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom("a", "%41", "é", "..", "%"), fc.integer({ min: 200, max: 20_000 }))
      .map(([unit, times]) => unit.repeat(times)),
  },
);

const urlPath = fc
  .tuple(fc.constantFrom(...PREFIXES), fc.array(segment, { maxLength: 5 }), fc.boolean())
  .map(([prefix, segments, trailingSlash]) => {
    const joined = `${prefix}${segments.map((s) => `/${s}`).join("")}${trailingSlash ? "/" : ""}`;
    return joined === "" ? "/" : joined;
  });

const queryPart = fc.oneof(
  fc.constantFrom(
    "a=1",
    "a",
    "=",
    "&",
    "%",
    "a=%",
    "a=%zz",
    "%00=%00",
    "a[]=1&a[]=2",
    "__proto__[x]=1",
    "constructor[prototype][x]=1",
    "q=' OR 1=1 --",
    "access_token=Atza|x",
  ),
  fc
    .tuple(fc.string({ unit: PATH_CHAR, maxLength: 12 }), fc.string({ unit: "binary", maxLength: 12 }))
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`),
);

const query = fc.option(
  fc.array(queryPart, { maxLength: 6 }).map((parts) => `?${parts.join("&")}`),
  { nil: "" },
);

const CONTENT_TYPES = [
  "application/json",
  "application/json; charset=utf-8",
  "application/json; charset=latin1",
  "application/json;;;",
  "APPLICATION/JSON",
  "application/problem+json",
  "text/plain",
  "text/plain; charset=utf-8",
  "text/html",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=----x",
  "application/octet-stream",
  "*/*",
  "",
  ";",
  "a/b/c",
  "application/json; boundary=\u0000",
] as const;

const ACCEPTS = [
  "*/*",
  "application/json",
  "text/html",
  "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
  "image/png",
  "application/x-nonsense",
  "",
  ";q=foo",
] as const;

const headerName = fc
  .string({
    unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789-".split("")),
    minLength: 1,
    maxLength: 20,
  })
  .map((s) => `x-${s}`);

const headers = fc
  .record(
    {
      "content-type": fc.oneof(fc.constantFrom(...CONTENT_TYPES), printable(60)),
      accept: fc.oneof(fc.constantFrom(...ACCEPTS), printable(60)),
      "accept-encoding": fc.constantFrom("gzip", "br", "identity;q=0", "*", "gzip;q=nope"),
      "x-request-id": printable(40),
      "x-forwarded-for": fc.constantFrom("1.2.3.4", "::1", "not-an-ip", "1.2.3.4, 5.6.7.8"),
      host: fc.constantFrom("localhost", "evil.example", "localhost:8443", "[::1]:8443", "a b", ""),
      origin: fc.constantFrom("https://evil.example", "null", "https://localhost:8443"),
      cookie: printable(80),
    },
    { requiredKeys: [] },
  )
  .chain((base) =>
    fc
      .dictionary(headerName, printable(200), { maxKeys: 4 })
      .map((extra) => ({ ...base, ...extra }) as Record<string, string>),
  );

const JSONISH = [
  "{",
  "}",
  "{}",
  "[]",
  "null",
  '{"a":',
  '{"a":1,}',
  '{"__proto__":{"polluted":true}}',
  '{"constructor":{"prototype":{"polluted":true}}}',
  "[".repeat(5_000),
  `${"[".repeat(2_000)}${"]".repeat(2_000)}`,
  '"\\ud800"',
  "\uFEFF{}",
  "1e999999",
  '{"password":"hunter2","clientSecret":"amzn1.oa2-cs.v1.x"}',
] as const;

const body = fc.oneof(
  { weight: 1, arbitrary: fc.constant(undefined) },
  { weight: 2, arbitrary: fc.string({ maxLength: 200 }) },
  { weight: 2, arbitrary: fc.json({ maxDepth: 4 }) },
  { weight: 2, arbitrary: fc.constantFrom(...JSONISH) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 512 }).map((bytes) => Buffer.from(bytes)) },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 1024 * 1024 - 16, max: 1024 * 1024 + 4096 })
      .map((n) => Buffer.alloc(n, 0x61)),
  },
);

export interface FuzzRequest {
  method: Method;
  url: string;
  headers: Record<string, string>;
  payload: string | Buffer | undefined;
}

export const request: fc.Arbitrary<FuzzRequest> = fc
  .record({ method: fc.constantFrom(...METHODS_UNDER_TEST), urlPath, query, headers, payload: body })
  .map(({ method, urlPath: p, query: q, headers: h, payload }) => ({
    method,
    url: `${p}${q}`,
    headers: h,
    payload,
  }));
