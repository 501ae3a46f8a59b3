import type { FastifyReply } from "fastify";

/** SP-API error bodies: `{"errors":[{code,message,details}]}`, as every model's ErrorList. */
export function spapiError(reply: FastifyReply, status: number, code: string, message: string, details = "") {
  return reply.code(status).send({ errors: [{ code, message, details }] });
}

export const denied = (reply: FastifyReply, details: string) =>
  spapiError(reply, 403, "Unauthorized", "Access to requested resource is denied.", details);

export const invalidInput = (reply: FastifyReply, message: string) =>
  spapiError(reply, 400, "InvalidInput", message);

export const notFound = (reply: FastifyReply, message: string) => spapiError(reply, 404, "NotFound", message);

/** Malformed query values and bodies are the caller's fault: they answer 400 in Amazon's shape. */
export class InputError extends Error {}

export function requireInput(condition: unknown, message: string): asserts condition {
  if (!condition) throw new InputError(message);
}

/** Query arrays arrive comma-separated (Swagger `csv`) or repeated. */
export function queryList(value: unknown): string[] | undefined {
  if (value === undefined || value === "") return undefined;
  const parts = (Array.isArray(value) ? value : [value]).flatMap((v) => String(v).split(","));
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

export function queryDate(value: unknown, name: string): number | undefined {
  if (value === undefined || value === "") return undefined;
  const ms = Date.parse(String(value));
  requireInput(Number.isFinite(ms), `${name} is not a valid ISO 8601 date-time.`);
  return ms;
}

export function queryInt(value: unknown, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  requireInput(
    Number.isInteger(n) && n >= min && n <= max,
    `${name} must be an integer from ${min} to ${max}.`,
  );
  return n;
}

export function encodeToken(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

export function decodeToken<T>(token: string, name: string): T {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    requireInput(parsed !== null && typeof parsed === "object", `${name} is invalid.`);
    return parsed as T;
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(`${name} is invalid.`);
  }
}
