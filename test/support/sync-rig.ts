import type { Kysely } from "kysely";
import { createSellerAccount } from "../../src/accounts/accounts-repo.js";
import type { FeatureName } from "../../src/amazon/features.js";
import { refreshTokenSecretName } from "../../src/amazon/lwa.js";
import type { SpApiCaller } from "../../src/amazon/operation-spec.js";
import {
  markAccountRevoked,
  recordAuthorization,
  recordMarketplaces,
} from "../../src/connect/connect-repo.js";
import type { DB } from "../../src/db/schema.js";
import type { Clock } from "../../src/platform/clock.js";
import { AppError } from "../../src/platform/errors.js";
import { createSyncEngine, type SyncTuning } from "../../src/sync/sync-engine.js";
import { ALL_FEATURES, openSpApiRig, type RigOptions, type SpApiRig } from "./spapi.js";
import type { StoreName } from "./stores.js";

/**
 * The sync engine on the real client, the real sandbox (manual clocks moving together) and a real store. Seller
 * accounts are connected the way the connect flow leaves them: a row with features and marketplaces, the
 * refresh token in the secrets store. Several accounts may point at the same sandbox seller (to compare two
 * runs over the same Amazon data in one sandbox).
 */
export interface SyncRig {
  rig: SpApiRig;
  db: Kysely<DB>;
  connect(sellerIndex: number, features?: FeatureName[]): Promise<string>;
  engine(options?: {
    client?: SpApiCaller;
    tuning?: Partial<SyncTuning>;
    /** Our (wall) clock, when it is not to be the rig's clock, which is Amazon's time. */
    clock?: Clock;
  }): ReturnType<typeof createSyncEngine>;
  dispose(): Promise<void>;
}

/** Small windows keep the test's report count realistic while the sandbox holds a few thousand orders. */
export const TEST_TUNING: Partial<SyncTuning> = { reportConcurrency: 4, batchSize: 250 };

export async function openSyncRig(store: StoreName, options: RigOptions = {}): Promise<SyncRig> {
  const rig = await openSpApiRig(store, {
    timeScale: 60,
    backoff: { maxAttempts: 4, baseDelayMs: 1_000, maxDelayMs: 8_000 },
    ...options,
  });
  const db = rig.protection.data.database.db;
  const p = rig.protection;
  const sellers = rig.h.running.sandbox.sellers;
  return {
    rig,
    db,
    async connect(sellerIndex, features = [...ALL_FEATURES]) {
      const seller = sellers[sellerIndex];
      if (!seller) throw new Error(`no sandbox seller ${sellerIndex}`);
      const now = rig.clock.now();
      const account = await createSellerAccount(
        db,
        p.fields,
        { name: seller.storeName, region: "na", sellingPartnerId: seller.sellingPartnerId },
        now,
      );
      await recordAuthorization(db, account.id, { features }, now);
      await recordMarketplaces(db, account.id, seller.marketplaceIds, now);
      rig.features.set(account.id, features);
      await p.secrets.put(refreshTokenSecretName(account.id), seller.refreshToken, {
        accountId: account.id,
        actor: "test",
      });
      return account.id;
    },
    engine(engineOptions = {}) {
      return createSyncEngine({
        db,
        fields: p.fields,
        client: engineOptions.client ?? rig.client,
        transport: rig.transport,
        audit: { record: async (e) => void rig.events.push(e) },
        clock: engineOptions.clock ?? rig.clock,
        amazonClock: rig.clock,
        sleep: async (ms) => rig.advance(ms),
        // What ConnectService.guard does: a revoked authorization marks the account.
        guard: async (accountId, fn) => {
          try {
            return await fn();
          } catch (err) {
            if (err instanceof AppError && err.code === "SPAPI_AUTHORIZATION_REVOKED") {
              await markAccountRevoked(db, accountId, rig.clock.now());
            }
            throw err;
          }
        },
        tuning: { ...TEST_TUNING, ...engineOptions.tuning },
      });
    },
    dispose: () => rig.dispose(),
  };
}

/** What an account's stored orders look like, minus ids and bookkeeping times: equal for equal data. */
export async function orderFingerprint(db: Kysely<DB>, accountId: string) {
  const orders = await db
    .selectFrom("orders")
    .select([
      "amazon_order_id",
      "status",
      "fulfillment_channel",
      "last_updated_at",
      "total_minor",
      "currency",
      "item_count",
      "unit_count",
      "source",
      "has_buyer_data",
      "has_recipient_data",
    ])
    .where("account_id", "=", accountId)
    .orderBy("amazon_order_id")
    .execute();
  const items = await db
    .selectFrom("order_items")
    .innerJoin("orders", "orders.id", "order_items.order_id")
    .select([
      "orders.amazon_order_id",
      "order_items.item_key",
      "order_items.sku",
      "order_items.quantity",
      "order_items.item_price_minor",
    ])
    .where("order_items.account_id", "=", accountId)
    .orderBy("orders.amazon_order_id")
    .orderBy("order_items.item_key")
    .execute();
  const pii = await db
    .selectFrom("order_buyer_pii")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("account_id", "=", accountId)
    .executeTakeFirstOrThrow();
  return {
    orders: orders.map((o) => ({ ...o, total_minor: o.total_minor === null ? null : Number(o.total_minor) })),
    items: items.map((i) => ({
      ...i,
      item_price_minor: i.item_price_minor === null ? null : Number(i.item_price_minor),
    })),
    pii: Number(pii.n),
  };
}
