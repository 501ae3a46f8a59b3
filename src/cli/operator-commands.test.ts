import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { capturingLogger } from "../../test/support/log-capture.js";
import { tempDir } from "../../test/support/stores.js";
import { createSellerAccount } from "../accounts/accounts-repo.js";
import { loadConfig } from "../config/config.js";
import { ManualClock } from "../platform/clock.js";
import { openRuntime } from "../runtime.js";
import { runCli } from "./program.js";

const dirs: Array<{ remove(): void }> = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove();
});

async function setup() {
  const tmp = tempDir("sp-ops-");
  dirs.push(tmp);
  const env = { SELLER_PILOT_DATA_DIR: path.join(tmp.dir, "data"), SELLER_PILOT_LOG_LEVEL: "warn" };
  const runtime = await openRuntime({
    config: loadConfig(env, tmp.dir),
    clock: new ManualClock(),
    logger: capturingLogger().logger,
  });
  const ids: string[] = [];
  for (const name of ["Agency Brand A", "Agency Brand B"]) {
    const account = await createSellerAccount(
      runtime.database.db,
      runtime.fields,
      { name, region: "eu", contactEmail: `${name.at(-1)}@x.example` },
      runtime.clock.now(),
    );
    await runtime.secrets.put(`lwa.refresh_token.${account.id}`, "Atzr|t", {
      accountId: account.id,
      actor: "test",
    });
    ids.push(account.id);
  }
  await runtime.close();
  const cli = async (argv: string[]) => {
    let stdout = "";
    let stderr = "";
    const code = await runCli(argv, {
      env,
      cwd: tmp.dir,
      stdout: (t) => {
        stdout += t;
      },
      stderr: (t) => {
        stderr += t;
      },
    });
    return { code, stdout, stderr };
  };
  return { ids, cli };
}

describe("operator commands", () => {
  it("lists accounts as JSON with their ids and no personal data", async () => {
    const { ids, cli } = await setup();
    const res = await cli(["account", "list", "--json"]);
    expect(res.code).toBe(0);
    const { accounts } = JSON.parse(res.stdout);
    expect(accounts.map((a: { id: string }) => a.id).sort()).toEqual([...ids].sort());
    expect(res.stdout).not.toContain("@x.example");
  });

  it("deletes an account and prints its receipt; an unknown id fails with exit 1", async () => {
    const { ids, cli } = await setup();
    const res = await cli(["account", "delete", "--account", ids[0] ?? "", "--json"]);
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout).receipt.details).toEqual({
      dataKeyVersionsDestroyed: 1,
      secretsDeleted: 1,
      rowsDeleted: { job_runs: 0, job_pauses: 0, job_schedules: 0, seller_accounts: 1 },
    });
    const again = await cli(["account", "delete", "--account", ids[0] ?? "", "--json"]);
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stdout).error.code).toBe("ACCOUNT_NOT_FOUND");
    expect((await cli(["account", "delete", "--account", "bad id;"])).code).toBe(2);
    expect((await cli(["account", "delete"])).code).toBe(2);
    const list = JSON.parse((await cli(["account", "list", "--json"])).stdout);
    expect(list.accounts.map((a: { id: string }) => a.id)).toEqual([ids[1]]);
  });

  it("rotates the KEK and an account's data key with progress on stderr", async () => {
    const { ids, cli } = await setup();
    const kek = await cli(["keys", "rotate", "--json"]);
    expect(kek.code).toBe(0);
    expect(JSON.parse(kek.stdout)).toMatchObject({ resumed: false, current: 2, rewrapped: 2, retired: [1] });
    expect(kek.stderr).toContain("re-wrapping data keys: 2/2 (100%)");
    const account = await cli(["keys", "rotate", "--account", ids[1] ?? "", "--grace", "0", "--json"]);
    expect(account.code).toBe(0);
    expect(JSON.parse(account.stdout)).toMatchObject({ current: 2, resealed: 2, retired: [1] });
    const list = JSON.parse((await cli(["keys", "list", "--json"])).stdout);
    expect(list.provider).toBe("local");
    expect(list.versions.map((v: { version: number; status: string }) => `${v.version}:${v.status}`)).toEqual(
      ["1:retired", "2:current"],
    );
    expect((await cli(["keys", "rotate", "--batch-size", "0"])).code).toBe(1);
    expect((await cli(["keys", "rotate", "--account", "nope", "--json"])).stdout).toContain(
      "ACCOUNT_NOT_FOUND",
    );
  });
});
