// Test set-up for the connect e2e test: marks a seller account's authorization as revoked, exactly as the
// SP-API client does when Amazon answers a refresh with invalid_grant (same repository function), without
// waiting for a sync to stumble on it. Opens the instance's own stores next to the running server.
import { loadConfig } from "../../src/config/config.js";
import { markAccountRevoked } from "../../src/connect/connect-repo.js";
import { systemClock } from "../../src/platform/clock.js";
import { createLogger } from "../../src/platform/logger.js";
import { openRuntime } from "../../src/runtime.js";
import { repoRoot } from "./server.js";

/** Returns whether the account changed from active to authorization_revoked. */
export async function markRevoked(dataDir: string, accountId: string): Promise<boolean> {
  const env = { SELLER_PILOT_DATA_DIR: dataDir, SELLER_PILOT_LOG_LEVEL: "warn" };
  const rt = await openRuntime({
    config: loadConfig(env, repoRoot),
    clock: systemClock,
    logger: createLogger({ level: "silent" }),
  });
  try {
    return await markAccountRevoked(rt.database.db, accountId, rt.clock.now());
  } finally {
    await rt.close();
  }
}
