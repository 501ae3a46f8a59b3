// Set-up for the seller data pages: a seller account connected to a sandbox seller (through the connect
// service's own storeAuthorization step, with FBM shipping enabled), and its orders and fees written into the
// instance's store as the sync engine would. Opens the instance's stores next to the running server.
import type { OrderRecord } from "../../sandbox/data-generator.js";
import type { FeatureName } from "../../src/amazon/features.js";
import { loadConfig } from "../../src/config/config.js";
import { listOrganisations } from "../../src/identity/organisations-repo.js";
import { systemClock } from "../../src/platform/clock.js";
import { createLogger } from "../../src/platform/logger.js";
import { openRuntime } from "../../src/runtime.js";
import { openSpApi, spApiSetupFromConfig } from "../../src/spapi-runtime.js";
import { insertFinancialEvents } from "../../src/sync/financial-events-repo.js";
import { upsertOrders } from "../../src/sync/orders-repo.js";
import { item, order, pii } from "../support/orders.js";
import { repoRoot } from "./server.js";

const FEATURES: FeatureName[] = ["orders_sales", "inventory", "pricing", "finances", "fbm_shipping"];
const DAY = 86_400_000;

export interface SeededSeller {
  accountId: string;
  /** The sandbox's unshipped FBM order, stored here with buyer data. */
  fbmOrderId: string;
}

export async function seedConnectedSeller(
  env: Record<string, string>,
  seller: { sellingPartnerId: string; refreshToken: string },
  fbm: OrderRecord,
  publicUrl: string,
): Promise<SeededSeller> {
  const config = loadConfig({ ...env, SELLER_PILOT_LOG_LEVEL: "warn" }, repoRoot);
  const rt = await openRuntime({ config, clock: systemClock, logger: createLogger({ level: "silent" }) });
  try {
    const [organisation] = await listOrganisations(rt.database.db);
    if (!organisation) throw new Error("no organisation: create the admin first");
    const setup = spApiSetupFromConfig(config, publicUrl);
    if (!setup) throw new Error("the LWA configuration is missing");
    const spapi = openSpApi(rt, setup);
    const connected = await spapi.connect.storeAuthorization({
      organisationId: organisation.id,
      userId: null,
      sellingPartnerId: seller.sellingPartnerId,
      refreshToken: seller.refreshToken,
      features: FEATURES,
      name: "E2E FBM brand",
      actor: "test:e2e",
    });
    await spapi.close();
    const accountId = connected.accountId;
    const now = Date.now();
    const iso = (ms: number) => new Date(ms).toISOString();
    // Ten days of sales (two statuses), and the sandbox's unshipped FBM order with its real item ids.
    const history = Array.from({ length: 10 }, (_, i) =>
      order({
        amazonOrderId: `902-${String(i).padStart(7, "0")}-0000001`,
        source: "api",
        fulfillmentChannel: "FBA",
        status: i % 4 === 0 ? "PENDING" : "SHIPPED",
        purchaseDate: iso(now - (i + 1) * DAY),
        lastUpdatedAt: iso(now - (i + 1) * DAY + 60_000),
        totalMinor: 1000 + i * 250,
      }),
    );
    const fbmOrder = order({
      amazonOrderId: fbm.orderId,
      source: "api",
      marketplace: fbm.marketplace.id,
      purchaseDate: iso(now - 2 * DAY),
      lastUpdatedAt: iso(now - 2 * DAY + 60_000),
      items: fbm.items.map((i) =>
        item({
          itemKey: i.orderItemId,
          orderItemId: i.orderItemId,
          sku: i.product.sellerSku,
          title: i.product.title.slice(0, 200),
          quantity: i.quantity,
        }),
      ),
      pii: pii({ shipName: "Ada Shipper", addressLine1: "12 Elm Street", city: "Seattle" }),
    });
    await upsertOrders(rt.database.db, rt.fields, accountId, [...history, fbmOrder], {
      now: new Date(now),
      shippingEnabled: true,
    });
    await insertFinancialEvents(
      rt.database.db,
      accountId,
      history.flatMap((o, i) => [
        {
          eventType: "Shipment",
          postedDate: iso(now - (i + 1) * DAY + 3_600_000),
          amazonOrderId: o.amazonOrderId,
          sku: "SKU-1",
          feeType: "Principal",
          amountMinor: o.totalMinor ?? 0,
          currency: "USD",
        },
        {
          eventType: "Shipment",
          postedDate: iso(now - (i + 1) * DAY + 3_600_000),
          amazonOrderId: o.amazonOrderId,
          sku: "SKU-1",
          feeType: "Commission",
          amountMinor: -Math.round((o.totalMinor ?? 0) * 0.15),
          currency: "USD",
        },
      ]),
      { now: new Date(now) },
    );
    return { accountId, fbmOrderId: fbm.orderId };
  } finally {
    await rt.close();
  }
}
