import { promises as fs } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { tempDir } from "../../test/support/stores.js";
import { MIGRATIONS } from "../db/migrations/index.js";
import { VAULT_MIGRATIONS } from "../secrets/vault.js";
import { runCli } from "./program.js";

const dirs: Array<{ remove(): void }> = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove();
});

async function cli(argv: string[], env: Record<string, string> = {}, cwd?: string) {
  let dir = cwd;
  if (dir === undefined) {
    const tmp = tempDir("sp-cli-");
    dirs.push(tmp);
    dir = tmp.dir;
  }
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, {
    env: { SELLER_PILOT_DATA_DIR: path.join(dir, "data"), ...env },
    cwd: dir,
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
  });
  return { code, stdout, stderr, dir };
}

describe("seller-pilot CLI", () => {
  it("prints help for the program and each command with exit 0", async () => {
    const top = await cli(["--help"]);
    expect(top.code).toBe(0);
    for (const command of ["start", "migrate", "doctor"]) expect(top.stdout).toContain(command);
    for (const command of ["start", "migrate", "doctor"]) {
      const res = await cli([command, "--help"]);
      expect(res.code, command).toBe(0);
      expect(res.stdout).toContain(`seller-pilot ${command}`);
    }
  });

  it("exits 2 on usage errors", async () => {
    expect((await cli(["bogus"])).code).toBe(2);
    expect((await cli(["doctor", "--bogus"])).code).toBe(2);
    expect((await cli([])).code).toBe(2);
  });

  it("migrates a fresh data dir and reports it as JSON", async () => {
    const first = await cli(["migrate", "--json"]);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({
      store: "sqlite",
      executed: Object.keys(MIGRATIONS),
      applied: Object.keys(MIGRATIONS),
      pending: [],
      vault: { executed: Object.keys(VAULT_MIGRATIONS.migrations) },
    });
    const again = await cli(["migrate"], {}, first.dir);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`up to date (${Object.keys(MIGRATIONS).length} migration(s) applied)`);
  });

  it("doctor warns before the first start and passes after it, never showing a secret", async () => {
    const before = await cli(["doctor", "--json"]);
    const report = JSON.parse(before.stdout);
    expect(before.code).toBe(0);
    expect(report.ok).toBe(true);
    expect(report.checks.map((c: { name: string; status: string }) => `${c.name}:${c.status}`)).toEqual([
      "configuration:ok",
      "data directory:warn",
      "master key:warn",
      "TLS certificate:warn",
      "database:warn",
      "vault:warn",
      "security.txt:ok",
      "mode:ok",
    ]);

    await cli(["migrate"], {}, before.dir);
    const env = {
      SELLER_PILOT_LWA_CLIENT_ID: "amzn1.application-oa2-client.0123456789abcdef",
      SELLER_PILOT_LWA_CLIENT_SECRET: "amzn1.oa2-cs.v1.CANARY0001",
      SELLER_PILOT_APP_ID: "amzn1.sp.solution.x",
    };
    const after = await cli(["doctor", "--json"], env, before.dir);
    const passed = JSON.parse(after.stdout);
    expect(after.code).toBe(0);
    expect(passed.checks.find((c: { name: string }) => c.name === "migrations")).toMatchObject({
      status: "ok",
    });
    expect(passed.checks.find((c: { name: string }) => c.name === "database")).toMatchObject({
      status: "ok",
    });
    expect(passed.config.lwa.clientSecret).toBe("set (hidden)");
    expect(passed.checks.find((c: { name: string }) => c.name === "vault")).toMatchObject({ status: "ok" });
    expect(passed.checks.find((c: { name: string }) => c.name === "LWA client secret")).toMatchObject({
      status: "warn",
    });
    expect(after.stdout).not.toContain("CANARY0001");
    const text = await cli(["doctor"], env, before.dir);
    expect(text.stdout).toContain("No problems found.");
    expect(text.stdout).not.toContain("CANARY0001");
  });

  it("doctor fails (exit 1) on a key file readable by others and on a wrong key", async () => {
    const { dir } = await cli(["migrate"]);
    const keyFile = path.join(dir, "data", "master.key");
    await fs.chmod(keyFile, 0o644);
    const loose = await cli(["doctor", "--json"], {}, dir);
    expect(loose.code).toBe(1);
    expect(
      JSON.parse(loose.stdout).checks.find((c: { name: string }) => c.name === "master key"),
    ).toMatchObject({
      status: "fail",
      code: "KEY_FILE_PERMISSIONS",
    });

    await fs.writeFile(keyFile, `${Buffer.alloc(32, 9).toString("base64")}\n`, { mode: 0o600 });
    await fs.chmod(keyFile, 0o600);
    const wrong = await cli(["doctor", "--json"], {}, dir);
    expect(wrong.code).toBe(1);
    expect(
      JSON.parse(wrong.stdout).checks.find((c: { name: string }) => c.name === "database"),
    ).toMatchObject({
      status: "fail",
      code: "DB_KEY_MISMATCH",
    });
    const migrate = await cli(["migrate", "--json"], {}, dir);
    expect(migrate.code).toBe(1);
    expect(JSON.parse(migrate.stdout).error.code).toBe("DB_KEY_MISMATCH");
  });

  it("doctor fails on an invalid configuration and on an expired security.txt", async () => {
    const bad = await cli(["doctor"], { SELLER_PILOT_PORT: "99999" });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain("SELLER_PILOT_PORT");
    const expired = await cli(["doctor", "--json"], {
      SELLER_PILOT_SECURITY_TXT_EXPIRES: "2020-01-01T00:00:00Z",
    });
    expect(expired.code).toBe(1);
    expect(
      JSON.parse(expired.stdout).checks.find((c: { name: string }) => c.name === "security.txt").status,
    ).toBe("fail");
  });

  it("start refuses an unsafe production configuration before touching anything", async () => {
    const res = await cli(["start"], { SELLER_PILOT_ENV: "production" });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("error CONFIG_UNSAFE_FOR_PRODUCTION");
    await expect(fs.access(path.join(res.dir, "data"))).rejects.toThrow();
  });
});
