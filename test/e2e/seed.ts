// Test set-up the CLI has no command for (yet): a seller account in the instance's organisation. It opens the
// instance's own stores next to the running server, as every CLI command does.
import { createSellerAccount } from "../../src/accounts/accounts-repo.js";
import { loadConfig } from "../../src/config/config.js";
import { listOrganisations } from "../../src/identity/organisations-repo.js";
import { systemClock } from "../../src/platform/clock.js";
import { createLogger } from "../../src/platform/logger.js";
import { openRuntime } from "../../src/runtime.js";
import { repoRoot } from "./server.js";

/** Creates a seller account in the instance's only organisation; returns its id. */
export async function seedSellerAccount(dataDir: string, name: string): Promise<string> {
  const env = { SELLER_PILOT_DATA_DIR: dataDir, SELLER_PILOT_LOG_LEVEL: "warn" };
  const rt = await openRuntime({
    config: loadConfig(env, repoRoot),
    clock: systemClock,
    logger: createLogger({ level: "silent" }),
  });
  try {
    const [organisation, ...others] = await listOrganisations(rt.database.db);
    if (!organisation || others.length > 0) {
      throw new Error(`expected exactly one organisation, found ${others.length + (organisation ? 1 : 0)}`);
    }
    const account = await createSellerAccount(
      rt.database.db,
      rt.fields,
      { name, region: "eu", organisationId: organisation.id },
      rt.clock.now(),
    );
    return account.id;
  } finally {
    await rt.close();
  }
}
