import { randomBytes, randomUUID } from "node:crypto";

/** Request ids and row ids: random, unguessable, URL-safe. */
export function newId(): string {
  return randomUUID();
}

export function newRequestId(): string {
  return `req_${randomBytes(9).toString("base64url")}`;
}
