import type { Kysely } from "kysely";
import { type Config, loadConfig } from "../../src/config/config.js";
import type { KeystoreDB } from "../../src/crypto/keystore-schema.js";
import { ManualClock } from "../../src/platform/clock.js";
import { openRuntime, type Runtime } from "../../src/runtime.js";
import { keystoreView } from "../../src/secrets/vault.js";
import { capturingLogger } from "./log-capture.js";
import { createPostgresDatabase, type StoreName, tempDir } from "./stores.js";

/**
 * An empty PostgreSQL database on the TEST_DATABASE_URL server; drop() removes it. `icuLocale` gives it a
 * linguistic collation (e.g. en-US sorts "a_b" before "A"), unlike the bytewise order backups rely on.
 */
export function createScratchPostgres(
  options: { icuLocale?: "en-US" } = {},
): Promise<{ url: string; drop(): Promise<void> }> {
  return createPostgresDatabase(options);
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
