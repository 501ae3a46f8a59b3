import { type App, buildApp } from "../../src/app.js";
import type { Config } from "../../src/config/config.js";
import { loadConfig } from "../../src/config/config.js";
import { migrateToLatest } from "../../src/db/migrate.js";
import { ManualClock } from "../../src/platform/clock.js";
import type { Logger } from "../../src/platform/logger.js";
import { capturingLogger } from "./log-capture.js";
import { openTestStore, type StoreName, type TestStore, tempDir } from "./stores.js";
import { testCertificate } from "./tls.js";

export interface TestApp {
  app: App;
  store: TestStore;
  clock: ManualClock;
  config: Config;
  logs: { lines: string[]; text(): string };
  close(): Promise<void>;
}

export interface TestAppOptions {
  store?: StoreName;
  env?: Record<string, string>;
  migrate?: boolean;
  webRoot?: string | null;
  logger?: Logger;
}

/** The real application on a real, fresh store, with a manual clock and captured logs. */
export async function makeTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const tmp = tempDir("sp-app-");
  const config = loadConfig({ SELLER_PILOT_DATA_DIR: tmp.dir, ...options.env }, tmp.dir);
  const store = await openTestStore(options.store ?? "sqlite");
  if (options.migrate !== false) await migrateToLatest(store.database.db);
  const capture = capturingLogger("info");
  const clock = new ManualClock("2026-11-28T12:00:00.000Z");
  const app = await buildApp({
    config,
    logger: options.logger ?? capture.logger,
    database: store.database,
    clock,
    tls: await testCertificate(),
    version: "0.1.0-test",
    webRoot: options.webRoot ?? null,
  });
  await app.ready();
  return {
    app,
    store,
    clock,
    config,
    logs: capture,
    async close() {
      await app.close();
      await store.dispose();
      tmp.remove();
    },
  };
}
