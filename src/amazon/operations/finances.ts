import { z } from "zod";
import {
  type CallOptions,
  isoDateTime,
  list,
  type SpApiCaller,
  type SpApiRequest,
  text,
} from "../operation-spec.js";

// Finances v0 listFinancialEvents: shipment and refund events (what sales reporting needs); the many other
// event lists are dropped at the boundary.
const currency = z.object({ CurrencyCode: text(3).optional(), CurrencyAmount: z.number().optional() });
const charges = list(z.object({ ChargeType: text(100).optional(), ChargeAmount: currency.optional() }), 200);
const fees = list(z.object({ FeeType: text(100).optional(), FeeAmount: currency.optional() }), 200);
const promotions = list(
  z.object({
    PromotionType: text(200).optional(),
    PromotionId: text(200).optional(),
    PromotionAmount: currency.optional(),
  }),
  200,
);
const shipmentItem = z.object({
  SellerSKU: text(200).optional(),
  OrderItemId: text(200).optional(),
  OrderAdjustmentItemId: text(200).optional(),
  QuantityShipped: z.number().int().optional(),
  ItemChargeList: charges.optional(),
  ItemChargeAdjustmentList: charges.optional(),
  ItemFeeList: fees.optional(),
  ItemFeeAdjustmentList: fees.optional(),
  PromotionList: promotions.optional(),
  PromotionAdjustmentList: promotions.optional(),
});
const shipmentEvent = z.object({
  AmazonOrderId: text(200).optional(),
  SellerOrderId: text(200).optional(),
  MarketplaceName: text(200).optional(),
  PostedDate: isoDateTime().optional(),
  ShipmentItemList: list(shipmentItem, 1_000).optional(),
  ShipmentItemAdjustmentList: list(shipmentItem, 1_000).optional(),
});
export type ShipmentEvent = z.infer<typeof shipmentEvent>;

export const financialEventsSchema = z.object({
  payload: z
    .object({
      NextToken: text(8_000).optional(),
      FinancialEvents: z
        .object({
          ShipmentEventList: list(shipmentEvent, 1_000).optional(),
          RefundEventList: list(shipmentEvent, 1_000).optional(),
        })
        .optional(),
    })
    .optional(),
});
export type FinancialEventsResponse = z.infer<typeof financialEventsSchema>;

export interface FinancialEventsParams {
  postedAfter?: string;
  postedBefore?: string;
  maxResultsPerPage?: number;
  nextToken?: string;
}

export function listFinancialEventsRequest(
  params: FinancialEventsParams,
): SpApiRequest<FinancialEventsResponse> {
  return {
    operation: "listFinancialEvents",
    method: "GET",
    path: "/finances/v0/financialEvents",
    query: {
      PostedAfter: params.postedAfter,
      PostedBefore: params.postedBefore,
      MaxResultsPerPage: params.maxResultsPerPage,
      NextToken: params.nextToken,
    },
    response: financialEventsSchema,
  };
}

export function listFinancialEvents(
  client: SpApiCaller,
  accountId: string,
  params: FinancialEventsParams,
  options?: CallOptions,
): Promise<FinancialEventsResponse> {
  return client.call(accountId, listFinancialEventsRequest(params), options);
}
