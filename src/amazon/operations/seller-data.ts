import { z } from "zod";
import {
  type CallOptions,
  id,
  isoDateTime,
  list,
  type SpApiCaller,
  type SpApiRequest,
  text,
} from "../operation-spec.js";

// FBA Inventory v1, Pricing 2022-05-01 and Sellers v1: the seller's own catalogue data, no buyer data.

const quantity = () => z.number().int().min(0).max(100_000_000);

export const inventorySummariesSchema = z.object({
  payload: z
    .object({
      granularity: z
        .object({ granularityType: text(40).optional(), granularityId: text(40).optional() })
        .optional(),
      inventorySummaries: list(
        z.object({
          asin: text(20).optional(),
          fnSku: text(40).optional(),
          sellerSku: text(200).optional(),
          condition: text(60).optional(),
          lastUpdatedTime: isoDateTime().optional(),
          productName: text(2_000).optional(),
          totalQuantity: quantity().optional(),
          inventoryDetails: z
            .object({
              fulfillableQuantity: quantity().optional(),
              inboundWorkingQuantity: quantity().optional(),
              inboundShippedQuantity: quantity().optional(),
              inboundReceivingQuantity: quantity().optional(),
              reservedQuantity: z.object({ totalReservedQuantity: quantity().optional() }).optional(),
              unfulfillableQuantity: z
                .object({ totalUnfulfillableQuantity: quantity().optional() })
                .optional(),
            })
            .optional(),
        }),
        1_000,
      ),
    })
    .optional(),
  pagination: z.object({ nextToken: text(8_000).optional() }).optional(),
});
export type InventorySummariesResponse = z.infer<typeof inventorySummariesSchema>;

export interface InventorySummariesParams {
  marketplaceId: string;
  details?: boolean;
  startDateTime?: string;
  sellerSkus?: readonly string[];
  nextToken?: string;
}

export function getInventorySummariesRequest(
  params: InventorySummariesParams,
): SpApiRequest<InventorySummariesResponse> {
  return {
    operation: "getInventorySummaries",
    method: "GET",
    path: "/fba/inventory/v1/summaries",
    query: {
      granularityType: "Marketplace",
      granularityId: params.marketplaceId,
      marketplaceIds: [params.marketplaceId],
      details: params.details,
      startDateTime: params.startDateTime,
      sellerSkus: params.sellerSkus,
      nextToken: params.nextToken,
    },
    response: inventorySummariesSchema,
  };
}

export function getInventorySummaries(
  client: SpApiCaller,
  accountId: string,
  params: InventorySummariesParams,
  options?: CallOptions,
): Promise<InventorySummariesResponse> {
  return client.call(accountId, getInventorySummariesRequest(params), options);
}

const price = z.object({ amount: z.number().optional(), currencyCode: text(3).optional() });
const offer = z.object({
  sellerId: text(40).optional(),
  condition: text(40).optional(),
  subCondition: text(40).optional(),
  fulfillmentType: text(20).optional(),
  listingPrice: price.optional(),
  shippingOptions: list(
    z.object({ shippingOptionType: text(40).optional(), price: price.optional() }),
    50,
  ).optional(),
  primeDetails: z.object({ eligibility: text(40).optional() }).optional(),
});

export const competitiveSummarySchema = z.object({
  responses: list(
    z.object({
      status: z.object({ statusCode: z.number().int().optional(), reasonPhrase: text(200).optional() }),
      body: z.object({
        asin: text(20),
        marketplaceId: text(40),
        featuredBuyingOptions: list(
          z.object({ buyingOptionType: text(40), segmentedFeaturedOffers: list(offer, 100) }),
          20,
        ).optional(),
        lowestPricedOffers: list(
          z.object({
            lowestPricedOffersInput: z.object({
              itemCondition: text(40).optional(),
              offerType: text(40).optional(),
            }),
            offers: list(offer, 100),
          }),
          20,
        ).optional(),
        referencePrices: list(z.object({ name: text(100), price }), 20).optional(),
        errors: list(z.object({ code: text(200), message: text(4_000).optional() }), 100).optional(),
      }),
    }),
    20,
  ),
});
export type CompetitiveSummaryResponse = z.infer<typeof competitiveSummarySchema>;

export type CompetitiveSummaryData = "featuredBuyingOptions" | "referencePrices" | "lowestPricedOffers";

export function getCompetitiveSummaryRequest(params: {
  marketplaceId: string;
  asins: readonly string[];
  includedData: readonly CompetitiveSummaryData[];
}): SpApiRequest<CompetitiveSummaryResponse> {
  return {
    operation: "getCompetitiveSummary",
    method: "POST",
    path: "/batches/products/pricing/2022-05-01/items/competitiveSummary",
    body: {
      requests: params.asins.map((asin) => ({
        asin,
        marketplaceId: params.marketplaceId,
        includedData: [...params.includedData],
        ...(params.includedData.includes("lowestPricedOffers")
          ? { lowestPricedOffersInputs: [{ itemCondition: "New", offerType: "Consumer" }] }
          : {}),
        method: "GET",
        uri: "/products/pricing/2022-05-01/items/competitiveSummary",
      })),
    },
    response: competitiveSummarySchema,
  };
}

export function getCompetitiveSummary(
  client: SpApiCaller,
  accountId: string,
  params: {
    marketplaceId: string;
    asins: readonly string[];
    includedData: readonly CompetitiveSummaryData[];
  },
  options?: CallOptions,
): Promise<CompetitiveSummaryResponse> {
  return client.call(accountId, getCompetitiveSummaryRequest(params), options);
}

export const marketplaceParticipationsSchema = z.object({
  payload: list(
    z.object({
      marketplace: z.object({
        id: id(),
        name: text(200),
        countryCode: text(3),
        defaultCurrencyCode: text(3),
        defaultLanguageCode: text(20),
        domainName: text(200),
      }),
      participation: z.object({ isParticipating: z.boolean(), hasSuspendedListings: z.boolean() }),
      storeName: text(500),
    }),
    200,
  ),
});
export type MarketplaceParticipations = z.infer<typeof marketplaceParticipationsSchema>["payload"];

export function getMarketplaceParticipationsRequest(): SpApiRequest<{ payload: MarketplaceParticipations }> {
  return {
    operation: "getMarketplaceParticipations",
    method: "GET",
    path: "/sellers/v1/marketplaceParticipations",
    response: marketplaceParticipationsSchema,
  };
}

export async function getMarketplaceParticipations(
  client: SpApiCaller,
  accountId: string,
  options?: CallOptions,
): Promise<MarketplaceParticipations> {
  return (await client.call(accountId, getMarketplaceParticipationsRequest(), options)).payload;
}
