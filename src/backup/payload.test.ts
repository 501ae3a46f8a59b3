import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decodeValue,
  encodeRows,
  encodeValue,
  manifestLine,
  type PayloadEvent,
  parsePayload,
  TableDigest,
  tableLine,
} from "./payload.js";

async function events(text: string, pieceSize = 7): Promise<PayloadEvent[]> {
  const bytes = Buffer.from(text, "utf8");
  async function* pieces() {
    for (let i = 0; i < bytes.length; i += pieceSize) yield bytes.subarray(i, i + pieceSize);
  }
  const out: PayloadEvent[] = [];
  for await (const e of parsePayload(pieces())) out.push(e);
  return out;
}

function payload(rows: unknown[][], manifestOverride?: Record<string, unknown>): string {
  const digest = new TableDigest("t", ["a", "b"]);
  const lines = encodeRows(
    rows.map(([a, b]) => ({ a, b })),
    ["a", "b"],
    16,
  );
  digest.update(lines, rows.length);
  return `${tableLine("t", ["a", "b"])}${lines}${manifestLine((manifestOverride ?? { t: digest.result() }) as never)}`;
}

describe("backup payload", () => {
  it("parses what it writes, split anywhere, including multi-byte characters across pieces", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.tuple(fc.string({ unit: "grapheme" }), fc.oneof(fc.constant(null), fc.integer(), fc.string())),
          {
            maxLength: 30,
          },
        ),
        fc.integer({ min: 1, max: 40 }),
        async (rows, pieceSize) => {
          const got = await events(payload(rows as unknown[][]), pieceSize);
          const parsed = got.flatMap((e) => (e.kind === "rows" ? e.rows : []));
          expect(parsed).toEqual(rows);
          expect(got.at(-1)).toMatchObject({ kind: "end" });
        },
      ),
      { numRuns: 100 },
    );
  });

  it("normalizes values both stores can hold alike", () => {
    const bytes = Buffer.from([0, 1, 255]);
    expect(encodeValue(true)).toBe(1);
    expect(encodeValue(new Date("2026-11-28T12:00:00Z"))).toBe("2026-11-28T12:00:00.000Z");
    expect(encodeValue(5n)).toBe(5);
    expect(decodeValue(encodeValue(bytes))).toEqual(bytes);
    expect(encodeRows([{ a: bytes, b: "x" }], ["a", "b"]).toString()).toBe('[{"$b64":"AAH/"},"x"]\n');
    expect(() => encodeRows([{ a: Number.NaN, b: 1 }], ["a", "b"])).toThrow();
    expect(() => encodeValue({ json: true })).toThrow();
    expect(() => encodeValue(Number.NaN)).toThrow();
  });

  it("rejects structural damage as BACKUP_MALFORMED and a lying manifest as BACKUP_CHECKSUM_MISMATCH", async () => {
    const good = payload([["x", 1]]);
    const table = tableLine("t", ["a", "b"]);
    const cases: Array<[string, string, string]> = [
      ["row before table", `["x",1]\n${good}`, "BACKUP_MALFORMED"],
      ["wrong arity", `${table}["x"]\n`, "BACKUP_MALFORMED"],
      ["no manifest", `${table}["x",1]\n`, "BACKUP_MALFORMED"],
      ["data after manifest", `${good}["y",2]\n`, "BACKUP_MALFORMED"],
      ["table twice", `${table}${good}`, "BACKUP_MALFORMED"],
      ["not JSON", `${table}[oops\n`, "BACKUP_MALFORMED"],
      ["unterminated", good.slice(0, -1), "BACKUP_MALFORMED"],
      ["wrong count", payload([["x", 1]], { t: { rows: 2, sha256: "0" } }), "BACKUP_CHECKSUM_MISMATCH"],
      ["missing table", payload([["x", 1]], {}), "BACKUP_CHECKSUM_MISMATCH"],
    ];
    for (const [name, text, code] of cases) {
      await expect(events(text), name).rejects.toMatchObject({ code });
    }
  });
});
