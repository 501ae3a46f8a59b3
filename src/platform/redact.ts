/**
 * Log hygiene: two independent nets, because one missed path is one leaked credential.
 * 1. Key-based: any field whose name looks like a credential is replaced, at any depth.
 * 2. Shape-based: LWA/SP-API token shapes are scrubbed from every string, wherever they appear
 *    (messages, error stacks, URLs), and again from each finished log line.
 */
export const REDACTED = "[REDACTED]";

const SENSITIVE_KEY =
  /pass(word|phrase|wd)?|secret|token|key|authorization|cookie|credential|session|signature|otp|recovery|x-amz-security/i;

/**
 * LWA access tokens (Atza|...), refresh tokens (Atzr|...), LWA client secrets (amzn1.oa2-cs.v1....),
 * Restricted Data Tokens (also Atz.|...), our personal API tokens (spt_...), and bearer values in free text.
 */
const TOKEN_SHAPES: readonly RegExp[] = [
  /Atz[a-z]\|[^\s"'\\,;&]+/g,
  /Atz[a-z]%7C[^\s"'\\,;&]+/gi,
  /amzn1\.oa2-cs\.v\d+\.[^\s"'\\,;&]+/g,
  /spt_[A-Za-z0-9_-]{16,}/g,
  /(bearer\s+)[A-Za-z0-9\-._~+/]+=*/gi,
];

export function isSensitiveKey(key: string): boolean {
  return SENSITIVE_KEY.test(key);
}

export function scrubSecrets(text: string): string {
  let out = text;
  for (const shape of TOKEN_SHAPES) {
    out = out.replace(shape, (match, bearerPrefix?: unknown) =>
      typeof bearerPrefix === "string" && /^bearer/i.test(match) ? `${bearerPrefix}${REDACTED}` : REDACTED,
    );
  }
  return out;
}

/** Plain data: a prototype chain of Object.prototype or null only (fast-querystring builds such objects). */
function isPlainObject(value: object): value is Record<string, unknown> {
  let proto = Object.getPrototypeOf(value);
  for (let depth = 0; depth < 4; depth++) {
    if (proto === null || proto === Object.prototype) return true;
    if (Object.getOwnPropertyNames(proto).length > 1) return false;
    proto = Object.getPrototypeOf(proto);
  }
  return false;
}

export interface SafeError {
  type: string;
  message: string;
  code?: string;
  stack?: string;
  cause?: SafeError;
}

/** An error as it may appear in a log: scrubbed message and stack, no enumerable extras (SQL, params, bodies). */
export function safeError(err: unknown, depth = 0): SafeError {
  if (!(err instanceof Error)) return { type: typeof err, message: REDACTED };
  const out: SafeError = { type: err.name, message: scrubSecrets(err.message) };
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string" && code.length <= 64) out.code = code;
  if (err.stack) out.stack = scrubSecrets(err.stack);
  if (err.cause !== undefined && depth < 3) out.cause = safeError(err.cause, depth + 1);
  return out;
}

const MAX_DEPTH = 8;

/** Deep copy of plain data with sensitive keys replaced and token shapes scrubbed. Class instances pass through. */
export function redactDeep(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === "string") return scrubSecrets(value);
  if (value === null || typeof value !== "object") return value;
  if (value instanceof Error) return safeError(value);
  if (seen.has(value)) return "[Circular]";
  if (depth >= MAX_DEPTH) return "[Truncated]";
  if (Array.isArray(value)) {
    seen.add(value);
    return value.map((item) => redactDeep(item, depth + 1, seen));
  }
  if (!isPlainObject(value)) return value;
  seen.add(value);
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    out[key] = isSensitiveKey(key) ? REDACTED : redactDeep(inner, depth + 1, seen);
  }
  return out;
}

/** A URL as it may appear in a log: query values of sensitive parameters replaced, token shapes scrubbed. */
export function safeUrl(url: string): string {
  const q = url.indexOf("?");
  if (q === -1) return scrubSecrets(url);
  const path = url.slice(0, q);
  const params = url
    .slice(q + 1)
    .split("&")
    .map((pair) => {
      const eq = pair.indexOf("=");
      const name = eq === -1 ? pair : pair.slice(0, eq);
      let decoded = name;
      try {
        decoded = decodeURIComponent(name);
      } catch {
        // keep the raw name: a malformed escape is still worth seeing, minus its value
      }
      return eq !== -1 && isSensitiveKey(decoded) ? `${name}=${REDACTED}` : pair;
    })
    .join("&");
  return scrubSecrets(`${path}?${params}`);
}
