// Property tests of the HTTP surface: whatever a client sends, the answer is a deliberate one (never a 5xx,
// never a hang), every error is the one documented JSON shape with a catalog code, and nothing internal
// (stack frames, SQL, dependency paths) is ever echoed back.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { makeTestApp } from "./support/app.js";
import { fuzzInject } from "./support/http-fuzz.js";
import { tempDir } from "./support/stores.js";

describe("HTTP fuzzing through app.inject()", () => {
  test("API only: any method, path, query, headers and body get < 500, catalog-shaped errors, nothing internal", async () => {
    const t = await makeTestApp();
    try {
      expect(await fuzzInject(t, [])).toBeGreaterThanOrEqual(300);
    } finally {
      await t.close();
    }
  });

  test("with a web root: the same, and nothing outside the root or behind a dot is ever served", async () => {
    const tmp = tempDir("sp-fuzz-web-");
    const root = path.join(tmp.dir, "web");
    mkdirSync(path.join(root, "assets"), { recursive: true });
    writeFileSync(
      path.join(root, "index.html"),
      "<!doctype html><title>Seller Pilot</title><p>APP-INDEX</p>\n",
    );
    writeFileSync(path.join(root, "assets", "app-abc.js"), "export const app = 1;\n");
    writeFileSync(path.join(root, ".env"), "DOTFILE-CANARY-7f3a\n");
    writeFileSync(path.join(tmp.dir, "outside.txt"), "OUTSIDE-CANARY-91c2\n");
    const t = await makeTestApp({ webRoot: root });
    try {
      // Control: the root does serve its own files, so a never-served marker means something.
      const index = await t.app.inject({ method: "GET", url: "/", headers: { accept: "text/html" } });
      expect(index.statusCode).toBe(200);
      expect(index.body).toContain("APP-INDEX");
      expect(await fuzzInject(t, ["DOTFILE-CANARY-7f3a", "OUTSIDE-CANARY-91c2"])).toBeGreaterThanOrEqual(300);
    } finally {
      await t.close();
      tmp.remove();
    }
  });
});
