import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { readStreamText } from "./stdin.js";

describe("readStreamText", () => {
  it("joins chunks as UTF-8, a character split across chunks included", async () => {
    const euro = Buffer.from("€", "utf8");
    const chunks = [Buffer.from("Pass-"), euro.subarray(0, 1), euro.subarray(1), Buffer.from("word1\n")];
    expect(await readStreamText(Readable.from(chunks))).toBe("Pass-€word1\n");
  });

  it("refuses a stream longer than the bound instead of buffering it", async () => {
    await expect(readStreamText(Readable.from([Buffer.alloc(6), Buffer.alloc(6)]), 10)).rejects.toMatchObject(
      {
        code: "PAYLOAD_TOO_LARGE",
      },
    );
    expect(await readStreamText(Readable.from([Buffer.alloc(10)]), 10)).toHaveLength(10);
  });
});
