import type { FastifyInstance } from "fastify";
import { type Marketplace, marketplaceById, money, productsOf } from "./catalog.js";
import { DAY, isoSeconds } from "./clock.js";
import type { SandboxContext } from "./context.js";
import type { SellerProfile } from "./data-generator.js";
import { decodeToken, encodeToken, queryDate, queryList, requireInput } from "./errors.js";
import { intBetween, rngFor } from "./random.js";
import { sellerOf, spapiGuard } from "./spapi-guard.js";

const INVENTORY_STREAM = 21;
const PRICE_STREAM = 22;
const INVENTORY_PAGE = 50;

function hashOf(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** FBA Inventory summaries, Pricing 2022-05-01 competitive summaries and Sellers marketplace participations. */
export function registerSellerDataRoutes(app: FastifyInstance, ctx: SandboxContext, seed: number): void {
  const profileOf = (id: string) => ctx.data.sellerById(id) as SellerProfile;

  app.get(
    "/fba/inventory/v1/summaries",
    { preHandler: spapiGuard(ctx, "getInventorySummaries") },
    async (request) => {
      const profile = profileOf(sellerOf(request).sellingPartnerId);
      const query = request.query as Record<string, unknown>;
      const markets = queryList(query.marketplaceIds);
      requireInput(query.granularityType === "Marketplace", "granularityType must be Marketplace.");
      requireInput(
        markets?.length === 1 && markets[0] === query.granularityId,
        "marketplaceIds must be the one granularityId.",
      );
      const marketplace = profile.marketplaces.find((m) => m.id === query.granularityId);
      requireInput(marketplace, "The seller does not participate in this marketplace.");
      const skus = queryList(query.sellerSkus);
      requireInput(!skus || skus.length <= 50, "sellerSkus takes at most 50 SKUs.");
      const details = query.details === "true";
      const since = queryDate(query.startDateTime, "startDateTime");
      const offset =
        typeof query.nextToken === "string" ? decodeToken<{ o: number }>(query.nextToken, "nextToken").o : 0;
      requireInput(Number.isInteger(offset) && offset >= 0, "nextToken is invalid.");
      const end = ctx.data.endMs;
      const all = productsOf(seed, profile.index)
        .map((product) => {
          const rng = rngFor(
            seed,
            INVENTORY_STREAM,
            profile.index * 10_000 + product.index * 10 + profile.marketplaces.indexOf(marketplace),
          );
          const fulfillable = rng() < 0.1 ? 0 : intBetween(rng, 1, 900);
          const reserved = intBetween(rng, 0, 25);
          const unfulfillable = rng() < 0.3 ? intBetween(rng, 1, 8) : 0;
          const inbound = rng() < 0.4 ? intBetween(rng, 10, 300) : 0;
          const summary: Record<string, unknown> = {
            asin: product.asin,
            fnSku: product.fnSku,
            sellerSku: product.sellerSku,
            condition: "NewItem",
            lastUpdatedTime: isoSeconds(end - intBetween(rng, 0, 20) * DAY),
            productName: product.title,
            totalQuantity: fulfillable + reserved + unfulfillable + inbound,
          };
          if (details) {
            summary.inventoryDetails = {
              fulfillableQuantity: fulfillable,
              inboundWorkingQuantity: 0,
              inboundShippedQuantity: inbound,
              inboundReceivingQuantity: 0,
              reservedQuantity: {
                totalReservedQuantity: reserved,
                pendingCustomerOrderQuantity: reserved,
                pendingTransshipmentQuantity: 0,
                fcProcessingQuantity: 0,
              },
              researchingQuantity: { totalResearchingQuantity: 0, researchingQuantityBreakdown: [] },
              unfulfillableQuantity: {
                totalUnfulfillableQuantity: unfulfillable,
                customerDamagedQuantity: unfulfillable,
                warehouseDamagedQuantity: 0,
                distributorDamagedQuantity: 0,
                carrierDamagedQuantity: 0,
                defectiveQuantity: 0,
                expiredQuantity: 0,
              },
            };
          }
          return summary;
        })
        .filter(
          (s) =>
            (!skus || skus.includes(s.sellerSku as string)) &&
            (since === undefined || Date.parse(s.lastUpdatedTime as string) >= since),
        );
      const page = all.slice(offset, offset + INVENTORY_PAGE);
      const response: Record<string, unknown> = {
        payload: {
          granularity: { granularityType: "Marketplace", granularityId: marketplace.id },
          inventorySummaries: page,
        },
      };
      if (offset + INVENTORY_PAGE < all.length)
        response.pagination = { nextToken: encodeToken({ o: offset + INVENTORY_PAGE }) };
      return response;
    },
  );

  app.post(
    "/batches/products/pricing/2022-05-01/items/competitiveSummary",
    { preHandler: spapiGuard(ctx, "getCompetitiveSummary") },
    async (request) => {
      const body = (request.body ?? {}) as { requests?: unknown };
      const requests = body.requests;
      requireInput(
        Array.isArray(requests) && requests.length >= 1 && requests.length <= 20,
        "requests must hold 1 to 20 items.",
      );
      return {
        responses: (requests as Record<string, unknown>[]).map((r) => competitiveSummary(seed, r)),
      };
    },
  );

  app.get(
    "/sellers/v1/marketplaceParticipations",
    { preHandler: spapiGuard(ctx, "getMarketplaceParticipations") },
    async (request) => {
      const profile = profileOf(sellerOf(request).sellingPartnerId);
      return {
        payload: profile.marketplaces.map((m: Marketplace) => ({
          marketplace: {
            id: m.id,
            name: m.name,
            countryCode: m.countryCode,
            defaultCurrencyCode: m.currency,
            defaultLanguageCode: m.language,
            domainName: m.domain,
          },
          participation: { isParticipating: true, hasSuspendedListings: false },
          storeName: profile.storeName,
        })),
      };
    },
  );
}

function competitiveSummary(seed: number, r: Record<string, unknown>) {
  const asin = typeof r.asin === "string" ? r.asin : "";
  const marketplace = typeof r.marketplaceId === "string" ? marketplaceById(r.marketplaceId) : undefined;
  const included = Array.isArray(r.includedData) ? (r.includedData as string[]) : [];
  if (!/^[A-Z0-9]{10}$/.test(asin) || !marketplace || included.length === 0) {
    return {
      status: { statusCode: 400, reasonPhrase: "Bad Request" },
      body: {
        asin: asin || "UNKNOWN",
        marketplaceId: String(r.marketplaceId ?? ""),
        errors: [
          {
            code: "InvalidInput",
            message: "asin, marketplaceId and includedData are required.",
            details: "",
          },
        ],
      },
    };
  }
  const rng = rngFor(seed, PRICE_STREAM, hashOf(`${asin}|${marketplace.id}`));
  const base = Math.round((intBetween(rng, 6, 90) * 100 + 99) * marketplace.priceFactor);
  const price = (cents: number) => ({ amount: Number(money(cents)), currencyCode: marketplace.currency });
  const offer = (k: number) => ({
    sellerId: `A${(hashOf(`${asin}${k}`) % 1e12).toString(36).toUpperCase().padStart(10, "0")}`,
    condition: "New",
    fulfillmentType: k % 2 === 0 ? "AFN" : "MFN",
    listingPrice: price(base + k * intBetween(rng, 10, 150)),
    shippingOptions: [{ shippingOptionType: "DEFAULT", price: price(k % 2 === 0 ? 0 : 499) }],
    primeDetails: { eligibility: k % 2 === 0 ? "NATIONAL" : "NONE" },
  });
  const body: Record<string, unknown> = { asin, marketplaceId: marketplace.id };
  if (included.includes("featuredBuyingOptions")) {
    body.featuredBuyingOptions = [
      {
        buyingOptionType: "New",
        segmentedFeaturedOffers: [
          {
            ...offer(0),
            featuredOfferSegments: [
              { customerMembership: "PRIME", segmentDetails: { glanceViewWeightPercentage: 72 } },
            ],
          },
        ],
      },
    ];
  }
  if (included.includes("lowestPricedOffers")) {
    body.lowestPricedOffers = [
      {
        lowestPricedOffersInput: { itemCondition: "New", offerType: "Consumer" },
        offers: [0, 1, 2].map(offer),
      },
    ];
  }
  if (included.includes("referencePrices")) {
    body.referencePrices = [
      { name: "CompetitivePriceThreshold", price: price(base - 50) },
      { name: "WasPrice", price: price(base + 300) },
    ];
  }
  if (included.includes("similarItems")) body.similarItems = [];
  return { status: { statusCode: 200, reasonPhrase: "OK" }, body };
}
