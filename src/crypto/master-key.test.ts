import { promises as fs } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { tempDir } from "../../test/support/stores.js";
import { KEY_PURPOSES, loadMasterKey, masterKeyFromBytes } from "./master-key.js";

const dirs: Array<{ remove(): void }> = [];
function scratch(): string {
  const tmp = tempDir("sp-key-");
  dirs.push(tmp);
  return tmp.dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove();
});

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  await expect(promise).rejects.toMatchObject({ code });
}

describe("master key", () => {
  it("generates a 256-bit key file with mode 0600 once, then reuses it", async () => {
    const file = path.join(scratch(), "nested", "master.key");
    const first = await loadMasterKey({ kind: "file", file, generateIfMissing: true, kms: null });
    expect(first.generated).toBe(true);
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    expect(Buffer.from((await fs.readFile(file, "utf8")).trim(), "base64")).toHaveLength(32);
    const second = await loadMasterKey({ kind: "file", file, generateIfMissing: true, kms: null });
    expect(second.generated).toBe(false);
    expect(second.key.derive("database").equals(first.key.derive("database"))).toBe(true);
  });

  it("lets concurrent first starts agree on one key", async () => {
    const file = path.join(scratch(), "master.key");
    const loaded = await Promise.all(
      Array.from({ length: 5 }, () =>
        loadMasterKey({ kind: "file", file, generateIfMissing: true, kms: null }),
      ),
    );
    const fingerprints = new Set(loaded.map((l) => l.key.fingerprint));
    expect(fingerprints.size).toBe(1);
  });

  it("refuses a key file readable by group or others", async () => {
    const file = path.join(scratch(), "master.key");
    await fs.writeFile(file, Buffer.alloc(32, 7), { mode: 0o644 });
    await fs.chmod(file, 0o644);
    await expectCode(
      loadMasterKey({ kind: "file", file, generateIfMissing: false, kms: null }),
      "KEY_FILE_PERMISSIONS",
    );
    await fs.chmod(file, 0o640);
    await expectCode(
      loadMasterKey({ kind: "file", file, generateIfMissing: false, kms: null }),
      "KEY_FILE_PERMISSIONS",
    );
    await fs.chmod(file, 0o600);
    await expect(
      loadMasterKey({ kind: "file", file, generateIfMissing: false, kms: null }),
    ).resolves.toBeTruthy();
  });

  it("refuses a missing configured key instead of generating one", async () => {
    const file = path.join(scratch(), "absent.key");
    await expectCode(
      loadMasterKey({ kind: "file", file, generateIfMissing: false, kms: null }),
      "KEY_FILE_MISSING",
    );
    await expect(fs.access(file)).rejects.toThrow();
  });

  it("accepts raw, hex and base64 material and refuses anything else", async () => {
    const dir = scratch();
    const material = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
    const forms = { raw: material, hex: material.toString("hex"), b64: `${material.toString("base64")}\n` };
    const fingerprints = new Set<string>();
    for (const [name, content] of Object.entries(forms)) {
      const file = path.join(dir, name);
      await fs.writeFile(file, content, { mode: 0o600 });
      fingerprints.add(
        (await loadMasterKey({ kind: "file", file, generateIfMissing: false, kms: null })).key.fingerprint,
      );
    }
    expect(fingerprints.size).toBe(1);
    for (const bad of ["short", "z".repeat(64), Buffer.alloc(31), Buffer.alloc(33)]) {
      const file = path.join(dir, "bad");
      await fs.writeFile(file, bad, { mode: 0o600 });
      await expectCode(
        loadMasterKey({ kind: "file", file, generateIfMissing: false, kms: null }),
        "KEY_FILE_INVALID",
      );
    }
  });

  it("derives a distinct, stable 256-bit sub-key per purpose", () => {
    const key = masterKeyFromBytes(Buffer.alloc(32, 1));
    const derived = KEY_PURPOSES.map((p) => key.derive(p).toString("hex"));
    expect(new Set(derived).size).toBe(KEY_PURPOSES.length);
    for (const hex of derived) expect(hex).toHaveLength(64);
    expect(masterKeyFromBytes(Buffer.alloc(32, 1)).derive("fields").toString("hex")).toBe(derived[2]);
    expect(masterKeyFromBytes(Buffer.alloc(32, 2)).derive("fields").toString("hex")).not.toBe(derived[2]);
  });
});
