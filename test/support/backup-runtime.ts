import { randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import pg from "pg";
import { type Config, loadConfig } from "../../src/config/config.js";
import type { KeystoreDB } from "../../src/crypto/keystore-schema.js";
import { ManualClock } from "../../src/platform/clock.js";
import { openRuntime, type Runtime } from "../../src/runtime.js";
import { keystoreView } from "../../src/secrets/vault.js";
import { capturingLogger } from "./log-capture.js";
import { type StoreName, tempDir } from "./stores.js";

/**
 * An empty PostgreSQL database on the TEST_DATABASE_URL server; drop() removes it. `icuLocale` gives it a
 * linguistic collation (e.g. en-US sorts "a_b" before "A"), unlike the bytewise order backups rely on.
 */
export async function createScratchPostgres(
  options: { icuLocale?: "en-US" } = {},
): Promise<{ url: string; drop(): Promise<void> }> {
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) throw new Error("TEST_DATABASE_URL is not set");
  const name = `sp_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const locale = options.icuLocale
      ? ` LOCALE_PROVIDER icu ICU_LOCALE '${options.icuLocale}' TEMPLATE template0`
      : "";
    await admin.query(`CREATE DATABASE ${name}${locale}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/** The runtime plus the keystore view of its vault: what src/backup's factories take (as the CLI passes it). */
export type BackupRuntime = Runtime & { keystore: Kysely<KeystoreDB> };

export interface TestRuntime {
  runtime: BackupRuntime;
  config: Config;
  dataDir: string;
  clock: ManualClock;
  logs: { lines: string[]; text(): string };
  dispose(): Promise<void>;
}

/**
 * A real runtime (own master key, vault, keyring, migrated data store) on a fresh temp data dir, with a
 * manual clock: SQLite files under the dir, or a fresh PostgreSQL database holding data and vault tables.
 */
export async function openTestRuntime(
  store: StoreName,
  options: { clock?: ManualClock } = {},
): Promise<TestRuntime> {
  const tmp = tempDir("sp-backup-");
  const scratch = store === "postgres" ? await createScratchPostgres() : null;
  try {
    const config = loadConfig(
      { SELLER_PILOT_DATA_DIR: tmp.dir, ...(scratch ? { DATABASE_URL: scratch.url } : {}) },
      tmp.dir,
    );
    const clock = options.clock ?? new ManualClock("2026-11-28T12:00:00.000Z");
    const capture = capturingLogger("info");
    const opened = await openRuntime({ config, clock, logger: capture.logger });
    const runtime: BackupRuntime = Object.assign(opened, { keystore: keystoreView(opened.vault.db) });
    return {
      runtime,
      config,
      dataDir: tmp.dir,
      clock,
      logs: capture,
      async dispose() {
        await runtime.close();
        await scratch?.drop();
        tmp.remove();
      },
    };
  } catch (err) {
    await scratch?.drop();
    tmp.remove();
    throw err;
  }
}
