import { createHash, createPrivateKey, createPublicKey, type KeyObject, sign, verify } from "node:crypto";
import type { MasterKey } from "../crypto/master-key.js";
import type { AuditCheckpointKind } from "../db/schema.js";

/** prev_hash of the first entry ever written. */
export const GENESIS_HASH = "0".repeat(64);

/** JSON with keys sorted at every level (undefined dropped): one byte string per value. */
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

/** The hashed fields of an entry, as stored (target is its canonical JSON text). */
export interface ChainedFields {
  id: string;
  at: string;
  actor: string;
  action: string;
  outcome: string;
  target: string;
  request_id: string | null;
  reason: string | null;
  prev_hash: string;
}

/** The canonical JSON an entry's hash covers (entryHash hashes exactly these bytes). */
export function entryHashBody(e: ChainedFields): string {
  const fields = [e.id, e.at, e.actor, e.action, e.outcome, e.target, e.request_id, e.reason, e.prev_hash];
  if (!fields.every((f) => typeof f === "string" || f === null)) {
    return canonicalJson({
      v: 1,
      id: e.id,
      at: e.at,
      actor: e.actor,
      action: e.action,
      outcome: e.outcome,
      target: e.target,
      requestId: e.request_id,
      reason: e.reason,
      prevHash: e.prev_hash,
    });
  }
  // Every value is a string or null, so JSON.stringify of the keys already in sorted order is the same
  // byte string canonicalJson builds (it sorts the keys and stringifies each value the same way) without
  // the sort and the intermediate arrays: this runs once per entry on every audited request.
  return JSON.stringify({
    action: e.action,
    actor: e.actor,
    at: e.at,
    id: e.id,
    outcome: e.outcome,
    prevHash: e.prev_hash,
    reason: e.reason,
    requestId: e.request_id,
    target: e.target,
    v: 1,
  });
}

/**
 * SHA-256 over the canonical JSON of the entry and its predecessor's hash. seq is deliberately not hashed:
 * an entry's position is fixed by the chain itself (each entry names its predecessor), checked to be
 * contiguous from genesis or a signed anchor, and bound by the signed checkpoints (which sign seq and head
 * hash). Leaving it out lets verification tell an entry moved intact (reordered) from one edited (altered).
 */
export function entryHash(e: ChainedFields): string {
  return createHash("sha256").update(entryHashBody(e), "utf8").digest("hex");
}

/** What a checkpoint or anchor row signs. */
export interface SignedStatement {
  kind: AuditCheckpointKind;
  seq: number;
  head_hash: string;
  at: string;
  key_id: string;
}

/** Domain separation: the audit-signing key also signs restore-drill reports; this signature means only this. */
const DOMAIN = Buffer.from("seller-pilot/audit-log/v1\n", "utf8");

function statementBytes(s: SignedStatement): Buffer {
  const body = canonicalJson({ kind: s.kind, seq: s.seq, headHash: s.head_hash, at: s.at, keyId: s.key_id });
  return Buffer.concat([DOMAIN, Buffer.from(body, "utf8")]);
}

export interface AuditSigner {
  /** "ed25519:" + the first 16 hex digits of SHA-256(SPKI DER). */
  readonly keyId: string;
  /** SPKI DER, base64. */
  readonly publicKey: string;
  sign(statement: SignedStatement): string;
}

/** RFC 8410 PKCS#8 wrapping of a raw 32-byte Ed25519 seed. */
const PKCS8_ED25519_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

export function keyIdOf(publicKeyB64: string): string {
  const digest = createHash("sha256").update(Buffer.from(publicKeyB64, "base64")).digest("hex");
  return `ed25519:${digest.slice(0, 16)}`;
}

/** The instance's Ed25519 key, derived from the master key ("audit-signing"): nothing extra to store or lose. */
export function auditSigner(master: Pick<MasterKey, "derive">): AuditSigner {
  const seed = master.derive("audit-signing");
  const der = Buffer.concat([PKCS8_ED25519_PREFIX, seed]);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: der, format: "der", type: "pkcs8" });
  } finally {
    seed.fill(0);
    der.fill(0);
  }
  const publicKey = createPublicKey(privateKey).export({ format: "der", type: "spki" }).toString("base64");
  const keyId = keyIdOf(publicKey);
  return {
    keyId,
    publicKey,
    sign: (statement) => sign(null, statementBytes(statement), privateKey).toString("base64"),
  };
}

export interface SignedRow extends SignedStatement {
  public_key: string;
  signature: string;
}

/** Why a signed row does not hold, or null when it does (with `trusted`, only those public keys count). */
export function signatureProblem(row: SignedRow, trusted?: ReadonlySet<string>): string | null {
  if (keyIdOf(row.public_key) !== row.key_id) return "its key id does not match its public key";
  if (trusted && !trusted.has(row.public_key)) return "it is signed by a key this instance does not trust";
  try {
    const key = createPublicKey({ key: Buffer.from(row.public_key, "base64"), format: "der", type: "spki" });
    if (key.asymmetricKeyType !== "ed25519") return "its public key is not Ed25519";
    const ok = verify(null, statementBytes(row), key, Buffer.from(row.signature, "base64"));
    return ok ? null : "its signature does not match";
  } catch {
    return "its public key or signature is unreadable";
  }
}
