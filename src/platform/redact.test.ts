import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { capturingLogger } from "../../test/support/log-capture.js";
import { isSensitiveKey, REDACTED, redactDeep, safeError, safeUrl, scrubSecrets } from "./redact.js";

const CANARY = "CANARYc4n4ry";

describe("scrubSecrets", () => {
  it("removes every LWA and SP-API token shape wherever it stands", () => {
    const samples = [
      `Atza|IwEBI${CANARY}abc`,
      `Atzr|IwEBI${CANARY}-x_y`,
      `amzn1.oa2-cs.v1.${CANARY}0f`,
      `Atza%7CIwEB${CANARY}`,
      `Bearer ${CANARY}.abc`,
      `spt_${CANARY}AbCdEfGhIjKlMnOpQrStUvWxYz0123456`,
      `token=spt_${CANARY}-_0123456789abcdef`,
    ];
    for (const sample of samples) {
      const out = scrubSecrets(`before ${sample} after "${sample}"`);
      expect(out, sample).not.toContain(CANARY);
      expect(out).toContain("before ");
      expect(out).toContain(" after ");
    }
  });

  it("leaves ordinary text alone", () => {
    const text = "order 113-1234567-1234567 shipped to the Amazon warehouse; token bucket refilled";
    expect(scrubSecrets(text)).toBe(text);
  });
});

describe("redactDeep", () => {
  it("replaces credential-like keys at any depth and in arrays", () => {
    const out = redactDeep({
      password: CANARY,
      nested: { refreshToken: CANARY, list: [{ clientSecret: CANARY, ok: "kept" }] },
      headers: {
        authorization: `Bearer ${CANARY}`,
        cookie: CANARY,
        "x-amz-access-token": CANARY,
        accept: "json",
      },
      apiKey: CANARY,
    });
    expect(JSON.stringify(out)).not.toContain(CANARY);
    expect(out).toMatchObject({ nested: { list: [{ ok: "kept" }] }, headers: { accept: "json" } });
    expect((out as { password: string }).password).toBe(REDACTED);
  });

  it("survives cycles and depth", () => {
    const a: Record<string, unknown> = { name: "a" };
    a.self = a;
    let deep: Record<string, unknown> = { token: CANARY };
    for (let i = 0; i < 20; i++) deep = { next: deep };
    expect(JSON.stringify(redactDeep({ a, deep }))).not.toContain(CANARY);
  });

  it("never lets a canary under a sensitive key or in a token shape through (property)", () => {
    const sensitiveKey = fc.constantFrom(
      "password",
      "clientSecret",
      "refresh_token",
      "apiKey",
      "Authorization",
      "sessionId",
      "x-amz-access-token",
      "privateKey",
    );
    const leaf = fc.oneof(
      fc.tuple(sensitiveKey, fc.constant(CANARY)).map(([k, v]) => ({ [k]: v })),
      fc.constant({ note: `Atzr|${CANARY}` }),
      fc.constant({ note: `amzn1.oa2-cs.v1.${CANARY}` }),
    );
    const tree = fc.letrec<{ node: unknown }>((tie) => ({
      node: fc.oneof(
        { depthSize: "small", withCrossShrink: true },
        leaf,
        fc.array(tie("node"), { maxLength: 3 }),
        fc.dictionary(
          fc.string({ maxLength: 8 }).filter((k) => !isSensitiveKey(k)),
          tie("node"),
          { maxKeys: 3 },
        ),
      ),
    })).node;
    fc.assert(
      fc.property(tree, (value) => {
        expect(JSON.stringify(redactDeep(value)) ?? "").not.toContain(CANARY);
      }),
      { numRuns: 300 },
    );
  });
});

describe("safeError and safeUrl", () => {
  it("keeps type, code and a scrubbed message and stack, and drops attached data", () => {
    const cause = new Error(`lwa said amzn1.oa2-cs.v1.${CANARY}`);
    const err = Object.assign(new Error(`refresh failed Atzr|${CANARY}`, { cause }), {
      code: "E_LWA",
      sql: `select * from secrets where v='${CANARY}'`,
      params: [CANARY],
    });
    const safe = safeError(err);
    expect(JSON.stringify(safe)).not.toContain(CANARY);
    expect(safe).toMatchObject({ type: "Error", code: "E_LWA" });
    expect(safe.cause?.message).toContain("lwa said");
    expect(safe).not.toHaveProperty("sql");
  });

  it("masks sensitive query parameters and keeps the rest", () => {
    expect(safeUrl(`/cb?state=abc&code=ok&access_token=${CANARY}&refresh%5Ftoken=${CANARY}`)).toBe(
      `/cb?state=abc&code=ok&access_token=${REDACTED}&refresh%5Ftoken=${REDACTED}`,
    );
    expect(safeUrl("/plain/path")).toBe("/plain/path");
    expect(safeUrl("/x?%E0%A4%A=1")).toBe("/x?%E0%A4%A=1");
  });
});

describe("logger", () => {
  it("writes JSON lines with level labels and no canary from any log call", () => {
    const { logger, lines, text } = capturingLogger("trace");
    logger.info({ password: CANARY, orderId: "o-1" }, `message Atza|${CANARY}`);
    logger.info("interpolated %s", `Atzr|${CANARY}`);
    logger.error({ err: new Error(`failed with amzn1.oa2-cs.v1.${CANARY}`) }, "boom");
    logger.child({ clientSecret: CANARY }).warn("child");
    expect(text()).not.toContain(CANARY);
    expect(lines).toHaveLength(4);
    const first = JSON.parse(lines[0] ?? "{}");
    expect(first).toMatchObject({
      level: "info",
      orderId: "o-1",
      password: REDACTED,
      service: "seller-pilot",
    });
    expect(JSON.parse(lines[2] ?? "{}").err.message).toContain("failed with");
  });
});
