import { createHash, randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { masterKeyFromBytes } from "../crypto/master-key.js";
import {
  auditSigner,
  type ChainedFields,
  canonicalJson,
  entryHash,
  entryHashBody,
  GENESIS_HASH,
  signatureProblem,
} from "./audit-chain.js";

const fields = fc.record({
  id: fc.uuid(),
  at: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  actor: fc.string({ minLength: 1, maxLength: 40 }),
  action: fc.stringMatching(/^[a-z][a-z.]{0,20}$/),
  outcome: fc.constantFrom("success", "failure", "denied"),
  target: fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 12 })).map(canonicalJson),
  request_id: fc.option(fc.string({ minLength: 1, maxLength: 10 }), { nil: null }),
  reason: fc.option(fc.string({ minLength: 1, maxLength: 10 }), { nil: null }),
  prev_hash: fc.constant(GENESIS_HASH),
});

describe("audit chain primitives", () => {
  it("canonical JSON does not depend on key order", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (obj) => {
        const reversed = Object.fromEntries(Object.entries(obj).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(obj));
        expect(JSON.parse(canonicalJson(obj))).toEqual(JSON.parse(JSON.stringify(obj)));
      }),
    );
  });

  it("any change to any hashed field changes the hash", () => {
    const keys: Array<keyof ChainedFields> = [
      "id",
      "at",
      "actor",
      "action",
      "outcome",
      "target",
      "request_id",
      "reason",
      "prev_hash",
    ];
    fc.assert(
      fc.property(fields, fc.constantFrom(...keys), (e, key) => {
        const changed = { ...e, [key]: e[key] === "x" ? "y" : "x" };
        expect(entryHash(changed)).not.toBe(entryHash(e));
        expect(entryHash({ ...e })).toBe(entryHash(e));
      }),
    );
  });

  it("hashes the canonical JSON of the entry, byte for byte", () => {
    fc.assert(
      fc.property(fields, (e) => {
        const canonical = canonicalJson({
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
        expect(entryHashBody(e)).toBe(canonical);
        expect(entryHash(e)).toBe(createHash("sha256").update(canonical, "utf8").digest("hex"));
      }),
    );
  });

  it("signs with a key derived from the master key; another key or statement does not verify", () => {
    const master = masterKeyFromBytes(randomBytes(32));
    const signer = auditSigner(master);
    expect(auditSigner(master).publicKey).toBe(signer.publicKey); // deterministic from the master key
    expect(signer.keyId).toMatch(/^ed25519:[0-9a-f]{16}$/);
    const statement = {
      kind: "checkpoint" as const,
      seq: 7,
      head_hash: "a".repeat(64),
      at: "2026-11-28T12:00:00.000Z",
      key_id: signer.keyId,
    };
    const row = { ...statement, public_key: signer.publicKey, signature: signer.sign(statement) };
    expect(signatureProblem(row, new Set([signer.publicKey]))).toBeNull();
    expect(signatureProblem({ ...row, seq: 8 })).toMatch(/signature does not match/);
    // The same signature does not turn a checkpoint into a retention anchor.
    expect(signatureProblem({ ...row, kind: "anchor" })).toMatch(/signature does not match/);
    const other = auditSigner(masterKeyFromBytes(randomBytes(32)));
    expect(signatureProblem(row, new Set([other.publicKey]))).toMatch(/does not trust/);
    expect(signatureProblem({ ...row, public_key: other.publicKey })).toMatch(/key id/);
  });
});
