import type { Kysely } from "kysely";
import type { FeatureName } from "../amazon/features.js";
import type { Connected, ConnectService } from "../connect/connect-service.js";
import type { DB } from "../db/schema.js";
import { createOrganisation, listOrganisations } from "../identity/organisations-repo.js";
import type { Clock } from "../platform/clock.js";

export const DEMO_ORGANISATION = "Demo agency";
/** Demo accounts get every feature but FBM shipping, so no buyer data is requested unless someone opts in. */
export const DEMO_FEATURES: readonly FeatureName[] = ["orders_sales", "inventory", "pricing", "finances"];

export interface DemoSeller {
  sellingPartnerId: string;
  refreshToken: string;
}

/**
 * Demo mode: the "Demo agency" organisation with one seller account per sandbox seller, connected through the
 * same step the callback uses after its code exchange. Idempotent: a restart finds the organisation and
 * re-authorizes its accounts (same selling partner ids) instead of adding new ones.
 */
export async function seedDemo(
  deps: { db: Kysely<DB>; clock: Clock; connect: Pick<ConnectService, "storeAuthorization"> },
  sellers: readonly DemoSeller[],
): Promise<{ organisationId: string; created: boolean; accounts: Connected[] }> {
  const existing = (await listOrganisations(deps.db)).find((o) => o.name === DEMO_ORGANISATION);
  const organisationId =
    existing?.id ?? (await createOrganisation(deps.db, { name: DEMO_ORGANISATION }, deps.clock.now())).id;
  const accounts: Connected[] = [];
  for (const [i, seller] of sellers.entries()) {
    accounts.push(
      await deps.connect.storeAuthorization({
        organisationId,
        userId: null,
        sellingPartnerId: seller.sellingPartnerId,
        refreshToken: seller.refreshToken,
        features: DEMO_FEATURES,
        name: `Demo brand ${i + 1}`,
        actor: "system:demo-mode",
      }),
    );
  }
  return { organisationId, created: existing === undefined, accounts };
}
