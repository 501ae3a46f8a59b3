// The whole-run canary sweep (issue 3, "Done when"): an operator's journey through the real runtime and
// CLI (accounts, refresh tokens, the client secret, backups, KEK and data-key rotation, a restore drill,
// a crypto-shredding deletion, a restore into a fresh target) with a PII canary in every contact e-mail
// and a secret canary in every credential. Afterwards neither canary may appear, in any encoding, in any
// file the run left (data store, its -wal, the vault, backups, drill reports, the restored store), in any
// PostgreSQL table, or in any line the run logged or printed. Positive controls show the scanners do find
// a planted canary, so a clean result cannot come from a scanner that sees nothing.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createSellerAccount, readContactEmail } from "../src/accounts/accounts-repo.js";
import { runCli } from "../src/cli/program.js";
import { loadConfig } from "../src/config/config.js";
import { openPostgres } from "../src/db/database.js";
import { ManualClock } from "../src/platform/clock.js";
import { openRuntime, type Runtime } from "../src/runtime.js";
import { CLIENT_SECRET_NAME } from "../src/secrets/client-secret-age.js";
import { createScratchPostgres } from "./support/backup-runtime.js";
import { openRestored } from "./support/backup-seed.js";
import {
  type CanaryHit,
  canaryForms,
  findIn,
  newCanary,
  scanLines,
  scanPostgres,
  scanTree,
  teeProcessOutput,
} from "./support/canary-scan.js";
import { capturingLogger } from "./support/log-capture.js";
import { STORES, type StoreName, tempDir } from "./support/stores.js";

const ACCOUNTS = 4;

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function describeHits(hits: readonly CanaryHit[]): string {
  return hits.map((h) => `${h.where}: ${h.form}`).join("\n");
}

/** The seller accounts and credentials an agency would connect, every PII and secret value carrying a canary. */
async function seedAccounts(rt: Runtime, pii: string, secret: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < ACCOUNTS; i++) {
    const account = await createSellerAccount(
      rt.database.db,
      rt.fields,
      { name: `Brand ${i}`, region: i % 2 ? "eu" : "na", contactEmail: `ops.${pii}.${i}@brand-${i}.example` },
      rt.clock.now(),
    );
    await rt.secrets.put(`lwa.refresh_token.${account.id}`, `Atzr|IwEB${secret}${i}`, {
      accountId: account.id,
      actor: "test",
    });
    ids.push(account.id);
  }
  return ids;
}

async function sweep(store: StoreName): Promise<void> {
  const pii = newCanary("pii");
  const secret = newCanary("secret");
  const forms = [...canaryForms(pii), ...canaryForms(secret)];
  const root = tempDir("sp-sweep-");
  cleanups.push(() => root.remove());
  const dataDir = path.join(root.dir, "data");
  // The drill's scratch archive and store go to os.tmpdir(): point it inside the swept tree.
  const scratchTmp = path.join(root.dir, "tmp");
  mkdirSync(scratchTmp);
  const savedTmp = process.env.TMPDIR;
  process.env.TMPDIR = scratchTmp;
  cleanups.push(() => {
    if (savedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmp;
  });
  const live = store === "postgres" ? await createScratchPostgres() : null;
  const restoreDb = store === "postgres" ? await createScratchPostgres() : null;
  if (live) cleanups.push(() => live.drop());
  if (restoreDb) cleanups.push(() => restoreDb.drop());
  const env = {
    SELLER_PILOT_DATA_DIR: dataDir,
    SELLER_PILOT_LOG_LEVEL: "trace",
    SELLER_PILOT_LWA_CLIENT_ID: "amzn1.application-oa2-client.sweep",
    SELLER_PILOT_LWA_CLIENT_SECRET: `amzn1.oa2-cs.v1.${secret}`,
    SELLER_PILOT_APP_ID: "amzn1.sp.solution.sweep",
    ...(live ? { DATABASE_URL: live.url } : {}),
  };

  const logs: string[] = [];
  const tee = teeProcessOutput();
  cleanups.push(() => tee.stop());
  const capture = capturingLogger("trace");
  const hits: CanaryHit[] = [];
  const sweepStores = async (when: string) => {
    const tree = scanTree(root.dir, forms);
    hits.push(...tree.hits.map((h) => ({ ...h, where: `[${when}] ${h.where}` })));
    for (const url of [live?.url, restoreDb?.url]) {
      if (!url) continue;
      const db = await scanPostgres(url, forms);
      hits.push(...db.hits.map((h) => ({ ...h, where: `[${when}] ${h.where}` })));
    }
    return tree.files;
  };

  // 1. Accounts and credentials through the library the operator CLI is built on; swept while still open,
  //    so SQLite's -wal files (not yet checkpointed) are read too.
  const config = loadConfig(env, root.dir);
  const clock = new ManualClock("2026-11-28T12:00:00.000Z");
  const rt = await openRuntime({ config, clock, logger: capture.logger });
  let ids: string[];
  try {
    ids = await seedAccounts(rt, pii, secret);
    const openFiles = await sweepStores("seeded, runtime open");
    if (store === "sqlite") {
      for (const name of ["seller-pilot.db", "seller-pilot.db-wal", "secrets.db", "secrets.db-wal"]) {
        expect(openFiles, `${name} is swept`).toContain(path.join(dataDir, name));
      }
    }
  } finally {
    await rt.close();
  }
  const [deleted, rotated, kept] = ids as [string, string, string];

  // 2. The operator's commands, exactly as `seller-pilot ...` runs them; every byte they print is kept.
  let midDrill: { files: string[]; hits: CanaryHit[] } | null = null;
  const cli = async (argv: string[]) => {
    let stdout = "";
    let stderr = "";
    const code = await runCli(argv, {
      env,
      cwd: root.dir,
      stdout: (t) => {
        stdout += t;
        logs.push(t);
      },
      stderr: (t) => {
        stderr += t;
        logs.push(t);
        // While the drill checks its scratch restore, its archive and store exist; afterwards they are gone.
        if (argv[1] === "drill" && midDrill === null && t.startsWith("checking")) {
          midDrill = scanTree(scratchTmp, forms);
        }
      },
    });
    expect(code, `${argv.join(" ")}: ${stdout}${stderr}`).toBe(0);
    await sweepStores(argv.slice(0, 2).join(" "));
    return { stdout, json: () => JSON.parse(stdout) };
  };

  expect((await cli(["account", "list", "--json"])).json().accounts).toHaveLength(ACCOUNTS);
  const before = (await cli(["backup", "create", "--json"])).json();
  expect(before.tables.seller_accounts.rows).toBe(ACCOUNTS);
  expect((await cli(["keys", "rotate", "--json"])).json()).toMatchObject({ current: 2 });
  const accountRotation = (
    await cli(["keys", "rotate", "--account", rotated, "--grace", "0", "--json"])
  ).json();
  expect(accountRotation).toMatchObject({ account: rotated, current: 2 });
  expect(accountRotation.resealed).toBeGreaterThanOrEqual(2); // its e-mail and its refresh token at least
  expect((await cli(["backup", "drill", "--json"])).json().report.outcome).toBe("passed");
  expect(midDrill, "the drill's scratch files were swept while they existed").not.toBeNull();
  const drillScan = midDrill as unknown as { files: string[]; hits: CanaryHit[] };
  expect(drillScan.files.some((f) => f.endsWith("drill.spbak"))).toBe(true);
  hits.push(...drillScan.hits);
  await cli(["account", "delete", "--account", deleted, "--json"]);
  await cli(["backup", "verify", before.file, "--json"]);
  const restored = path.join(root.dir, "restored");
  await cli(
    restoreDb
      ? ["backup", "restore", before.file, "--database-url", restoreDb.url, "--json"]
      : ["backup", "restore", before.file, "--to", restored, "--json"],
  );
  const after = (await cli(["backup", "create", "--json"])).json();
  expect(after.tables.seller_accounts.rows).toBe(ACCOUNTS - 1);

  // 3. The canaries really went in: the live store and vault give them back, the restore holds every row.
  const check = await openRuntime({ config: loadConfig(env, root.dir), clock, logger: capture.logger });
  try {
    expect(await readContactEmail(check.database.db, check.fields, kept)).toContain(pii);
    expect(await readContactEmail(check.database.db, check.fields, rotated)).toContain(pii);
    expect(await readContactEmail(check.database.db, check.fields, deleted)).toBeNull();
    expect(await check.secrets.get(`lwa.refresh_token.${kept}`, { component: "test" })).toContain(secret);
    expect(await check.secrets.get(CLIENT_SECRET_NAME, { component: "test" })).toContain(secret);
    const copy = await openRestored(check, restoreDb ? { url: restoreDb.url } : { dir: restored });
    try {
      const rows = await copy.db.selectFrom("seller_accounts").select("id").execute();
      expect(rows).toHaveLength(ACCOUNTS);
    } finally {
      await copy.close();
    }
  } finally {
    await check.close();
  }

  // 4. The final sweep: every file the run left, every table, every line logged or printed.
  const files = await sweepStores("end");
  const backups = files.filter((f) => f.endsWith(".spbak"));
  expect(backups).toEqual(expect.arrayContaining([before.file, after.file]));
  expect(files.some((f) => f.includes(`${path.sep}drills${path.sep}`))).toBe(true);
  if (store === "sqlite") expect(files).toContain(path.join(restored, "seller-pilot.db"));
  tee.stop();
  const lines = [...capture.lines, ...logs, ...tee.chunks];
  expect(capture.text(), "the runtime's logger is captured").toContain("applied migrations");
  expect(logs.join(""), "the CLI's stderr is captured").toContain("exporting seller_accounts");
  hits.push(...scanLines("log line", lines, forms));
  expect(hits, describeHits(hits)).toEqual([]);

  // 5. Positive controls: the same scanners, pointed at a planted canary, report it.
  for (const canary of [pii, secret]) {
    const planted = path.join(dataDir, "backups", "planted.bin");
    for (const [form, bytes] of [
      ["plain", Buffer.from(`x${canary}y`)],
      ["hex", Buffer.from(Buffer.from(`ab${canary}`).toString("hex"))],
      ["base64@1", Buffer.from(Buffer.from(`a${canary}bc`).toString("base64"))],
      ["base64url@2", Buffer.from(Buffer.from(`ab${canary}`).toString("base64url"))],
      ["utf-16le", Buffer.from(`<${canary}>`, "utf16le")],
    ] as const) {
      writeFileSync(planted, bytes);
      const found = scanTree(root.dir, forms).hits;
      expect(found, `planted ${form}`).toContainEqual({ where: planted, canary, form });
      expect(found.every((h) => h.where === planted)).toBe(true);
    }
    expect(scanLines("log line", [...lines, `{"msg":"${canary}"}`], forms)).toContainEqual({
      where: `log line ${lines.length}`,
      canary,
      form: "plain",
    });
    expect(findIn("control", Buffer.from(`\\x${Buffer.from(canary).toString("hex")}`), forms)).toHaveLength(
      1,
    );
  }
  if (live) {
    const pgClient = await openPostgres(live.url, 1);
    try {
      await pgClient.db.schema.createTable("zz_canary_control").addColumn("v", "text").execute();
      await pgClient.db
        .insertInto("zz_canary_control" as never)
        .values({ v: `planted ${pii}` } as never)
        .execute();
      const scan = await scanPostgres(live.url, forms);
      expect(scan.tables.length).toBeGreaterThan(5);
      expect(scan.hits).toContainEqual({
        where: "table public.zz_canary_control",
        canary: pii,
        form: "plain",
      });
    } finally {
      await pgClient.close();
    }
  }
}

for (const target of STORES) {
  describe.skipIf(target.skip)(`whole-run canary sweep on ${target.name}`, () => {
    it("leaves no PII or secret canary in any file, table, backup, drill report or log line", async () => {
      const started = performance.now();
      await sweep(target.name);
      expect(performance.now() - started).toBeLessThan(60_000);
    }, 90_000);
  });
}
