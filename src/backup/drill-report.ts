import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from "node:crypto";
import type { MasterKey } from "../crypto/master-key.js";
import type { StoreKind } from "../db/database.js";

export interface DrillTableResult {
  rows: number;
  sha256: string;
  restoredRows: number | null;
  restoredSha256: string | null;
  match: boolean;
}

export interface DrillReport {
  kind: "seller-pilot-restore-drill";
  version: 1;
  id: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  outcome: "passed" | "failed";
  store: StoreKind;
  restoredInto: StoreKind;
  backup: {
    id: string;
    createdAt: string;
    bytes: number;
    sha256: string;
    kekVersion: number;
    migrations: string[];
  } | null;
  tables: Record<string, DrillTableResult>;
  error: { code: string; message: string } | null;
}

export interface SignedDrillReport {
  report: DrillReport;
  signature: { algorithm: "ed25519"; publicKey: string; value: string };
}

/** RFC 8410 PKCS#8 wrapping of a raw 32-byte Ed25519 seed. */
const PKCS8_ED25519_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
/** Domain separation: the audit-signing key also signs other things; a drill signature means only this. */
const DOMAIN = Buffer.from("seller-pilot/restore-drill/v1\n", "utf8");

/** The instance's signing key, derived from the master key: no extra secret to store or lose. */
export function drillSigningKey(master: Pick<MasterKey, "derive">): {
  privateKey: KeyObject;
  publicKey: string;
} {
  const seed = master.derive("audit-signing");
  const der = Buffer.concat([PKCS8_ED25519_PREFIX, seed]);
  try {
    const privateKey = createPrivateKey({ key: der, format: "der", type: "pkcs8" });
    const publicKey = createPublicKey(privateKey).export({ format: "der", type: "spki" }).toString("base64");
    return { privateKey, publicKey };
  } finally {
    seed.fill(0);
    der.fill(0);
  }
}

/** JSON with keys sorted at every level: one byte string per value, so signatures do not depend on key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

function message(report: DrillReport): Buffer {
  return Buffer.concat([DOMAIN, Buffer.from(canonicalJson(report), "utf8")]);
}

/** The report file's exact text: canonical JSON and a newline, so any changed byte breaks verification. */
export function signDrillReport(report: DrillReport, master: Pick<MasterKey, "derive">): string {
  const { privateKey, publicKey } = drillSigningKey(master);
  const signed: SignedDrillReport = {
    report,
    signature: {
      algorithm: "ed25519",
      publicKey,
      value: sign(null, message(report), privateKey).toString("base64"),
    },
  };
  return `${canonicalJson(signed)}\n`;
}

function isCanonicalBase64(text: string): boolean {
  return Buffer.from(text, "base64").toString("base64") === text;
}

export type DrillReportCheck =
  | { valid: true; report: DrillReport; publicKey: string }
  | { valid: false; reason: string };

/**
 * Checks a drill report file's text. With `trustedPublicKey` (drillSigningKey(master).publicKey) it also
 * proves the report came from this instance; without it, only that the report is intact as signed.
 */
export function verifyDrillReport(text: string, trustedPublicKey?: string): DrillReportCheck {
  let signed: SignedDrillReport;
  try {
    signed = JSON.parse(text) as SignedDrillReport;
  } catch {
    return { valid: false, reason: "not JSON" };
  }
  if (`${canonicalJson(signed)}\n` !== text)
    return { valid: false, reason: "not in canonical form (altered)" };
  const sig = signed?.signature;
  if (
    !signed?.report ||
    sig?.algorithm !== "ed25519" ||
    typeof sig.publicKey !== "string" ||
    typeof sig.value !== "string"
  )
    return { valid: false, reason: "no ed25519 signature" };
  // Base64 decoding ignores the unused bits of the last character: insist on the one canonical spelling.
  if (!isCanonicalBase64(sig.publicKey) || !isCanonicalBase64(sig.value))
    return { valid: false, reason: "signature is not canonical base64 (altered)" };
  if (trustedPublicKey !== undefined && sig.publicKey !== trustedPublicKey)
    return { valid: false, reason: "signed by another key" };
  try {
    const key = createPublicKey({ key: Buffer.from(sig.publicKey, "base64"), format: "der", type: "spki" });
    if (!verify(null, message(signed.report), key, Buffer.from(sig.value, "base64")))
      return { valid: false, reason: "signature does not match" };
  } catch {
    return { valid: false, reason: "unreadable public key or signature" };
  }
  return { valid: true, report: signed.report, publicKey: sig.publicKey };
}
