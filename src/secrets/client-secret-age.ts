import { MS } from "../platform/clock.js";
import type { SecretMetadata } from "./secrets-store.js";

/** Amazon requires LWA client secrets to be rotated every 180 days; we warn from day 150. */
export const CLIENT_SECRET_NAME = "lwa.client_secret";
export const ROTATION_WARNING_DAYS = 150;
export const ROTATION_LIMIT_DAYS = 180;

export interface ClientSecretAge {
  status: "ok" | "warn" | "overdue" | "missing";
  ageDays: number | null;
  rotateBy: string | null;
}

export function clientSecretAge(meta: SecretMetadata | null, now: Date): ClientSecretAge {
  const current = meta?.versions.find((v) => v.state === "current");
  if (!current) return { status: "missing", ageDays: null, rotateBy: null };
  const since = new Date(current.promotedAt ?? current.createdAt).getTime();
  const ageDays = Math.floor((now.getTime() - since) / MS.day);
  const rotateBy = new Date(since + ROTATION_LIMIT_DAYS * MS.day).toISOString();
  const status =
    ageDays >= ROTATION_LIMIT_DAYS ? "overdue" : ageDays >= ROTATION_WARNING_DAYS ? "warn" : "ok";
  return { status, ageDays, rotateBy };
}
