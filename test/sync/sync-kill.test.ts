// `kill -9` in the middle of a backfill: a child process syncs into an SQLCipher file against the sandbox
// (real clock, time-scaled), is SIGKILLed after some report windows are stored, and a second child finishes
// the job. The result must equal an uninterrupted run over the same Amazon data: nothing lost, nothing twice.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { listenSandbox, type RunningSandbox } from "../../sandbox/app.js";
import { createSellerAccount } from "../../src/accounts/accounts-repo.js";
import { refreshTokenSecretName } from "../../src/amazon/lwa.js";
import { recordAuthorization, recordMarketplaces } from "../../src/connect/connect-repo.js";
import { CLIENT_SECRET_NAME } from "../../src/secrets/client-secret-age.js";
import { INSTANCE_ACCOUNT } from "../../src/secrets/secrets-store.js";
import { ALL_FEATURES } from "../support/spapi.js";
import { tempDir } from "../support/stores.js";
import { type FileStackConfig, openFileStack } from "../support/sync-files.js";
import { orderFingerprint } from "../support/sync-rig.js";

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CHILD = path.join(REPO_ROOT, "test", "sync", "sync-kill-child.ts");
const TIME_SCALE = 1_500;

const cleanup: Array<() => Promise<void> | void> = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) child.kill("SIGKILL");
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

function runChild(config: FileStackConfig, accountId: string, killAfterWindows?: number) {
  const child = spawn(process.execPath, ["--import", "tsx", CHILD], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      SYNC_KILL_CONFIG: JSON.stringify({ ...config, accountId, features: ALL_FEATURES }),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let out = "";
  let err = "";
  let killedAt: number | null = null;
  child.stderr.setEncoding("utf8").on("data", (c: string) => {
    err += c;
  });
  child.stdout.setEncoding("utf8").on("data", (c: string) => {
    out += c;
    const done = [...out.matchAll(/^progress (\d+) \d+$/gm)].map((m) => Number(m[1]));
    const last = done.at(-1) ?? 0;
    if (killAfterWindows !== undefined && killedAt === null && last >= killAfterWindows) {
      killedAt = last;
      child.kill("SIGKILL");
    }
  });
  return new Promise<{
    code: number | null;
    signal: string | null;
    out: string;
    err: string;
    killedAt: number | null;
  }>((resolve) => child.on("close", (code, signal) => resolve({ code, signal, out, err, killedAt })));
}

describe("sync survives kill -9 (SQLite file, child processes)", () => {
  it("a backfill SIGKILLed mid-way and rerun ends exactly like an uninterrupted one", async () => {
    let originMs: number | undefined;
    const sandboxClock = {
      now: () => {
        const t = Date.now();
        originMs ??= t;
        return t;
      },
    };
    const running: RunningSandbox = await listenSandbox({
      orders: 3_000,
      seed: 13,
      sellers: 1,
      timeScale: TIME_SCALE,
      clock: sandboxClock,
    });
    cleanup.push(() => running.close());
    const tmp = tempDir("sp-sync-kill-");
    cleanup.push(() => tmp.remove());
    const config: FileStackConfig = {
      dataFile: path.join(tmp.dir, "data.db"),
      vaultFile: path.join(tmp.dir, "vault.db"),
      masterHex: randomBytes(32).toString("hex"),
      dataKeyHex: randomBytes(32).toString("hex"),
      vaultKeyHex: randomBytes(32).toString("hex"),
      endpoint: running.endpoint,
      lwaTokenUrl: running.lwaTokenUrl,
      clientId: running.sandbox.clientId,
      originMs: originMs as number,
      timeScale: TIME_SCALE,
    };
    const seller = running.sandbox.sellers[0];
    if (!seller) throw new Error("no seller");

    // Two accounts on the same Amazon seller: one synced without interruption, one killed and resumed.
    let stack = await openFileStack(config);
    await stack.secrets.put(CLIENT_SECRET_NAME, running.sandbox.clientSecret(), {
      accountId: INSTANCE_ACCOUNT,
      actor: "test",
    });
    const ids: string[] = [];
    for (const name of ["reference", "killed"]) {
      const now = stack.clock.now();
      const account = await createSellerAccount(
        stack.db,
        stack.fields,
        { name, region: "na", sellingPartnerId: seller.sellingPartnerId },
        now,
      );
      await recordAuthorization(stack.db, account.id, { features: ALL_FEATURES }, now);
      await recordMarketplaces(stack.db, account.id, seller.marketplaceIds, now);
      await stack.secrets.put(refreshTokenSecretName(account.id), seller.refreshToken, {
        accountId: account.id,
        actor: "test",
      });
      ids.push(account.id);
    }
    await stack.close();
    const [reference, killed] = ids as [string, string];

    const clean = await runChild(config, reference);
    expect(clean.code, clean.err).toBe(0);
    expect(JSON.parse(clean.out.trim().split("\n").at(-1) as string)).toMatchObject({ ok: true });

    const first = await runChild(config, killed, 6);
    expect(first.signal).toBe("SIGKILL");
    expect(first.killedAt).toBeGreaterThanOrEqual(6);

    stack = await openFileStack(config);
    const expected = await orderFingerprint(stack.db, reference);
    const partial = await orderFingerprint(stack.db, killed);
    await stack.close();
    expect(expected.orders).toHaveLength(
      running.sandbox.context.data.countFor(running.sandbox.context.data.sellers[0] as never),
    );
    expect(partial.orders.length).toBeGreaterThan(0);
    expect(partial.orders.length).toBeLessThan(expected.orders.length);

    const second = await runChild(config, killed);
    expect(second.code, second.err).toBe(0);
    const summary = JSON.parse(second.out.trim().split("\n").at(-1) as string);
    expect(summary).toMatchObject({ ok: true });
    // The rerun resumed: it did not start from window 0 again.
    const resumedFrom = Number(/^progress (\d+) /m.exec(second.out)?.[1]);
    expect(resumedFrom).toBeGreaterThanOrEqual(6);

    stack = await openFileStack(config);
    cleanup.push(() => stack.close());
    expect(await orderFingerprint(stack.db, killed)).toEqual(expected);
  }, 60_000);
});
