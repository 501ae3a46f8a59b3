import { z } from "zod";
import type { OrderDataset } from "../features.js";
import {
  type CallOptions,
  encodeSegment,
  id,
  isoDateTime,
  list,
  type SpApiCaller,
  type SpApiRequest,
  text,
} from "../operation-spec.js";

// Orders 2026-01-01. Fields we do not model are dropped by zod (objects strip unknown keys), so only what
// we declared can flow on from here.
const money = z.object({ amount: text(40), currencyCode: text(3) });
const window = z.object({
  earliestDateTime: isoDateTime().optional(),
  latestDateTime: isoDateTime().optional(),
});

const address = z.object({
  name: text(500).optional(),
  companyName: text(500).optional(),
  addressLine1: text(500).optional(),
  addressLine2: text(500).optional(),
  addressLine3: text(500).optional(),
  city: text(200).optional(),
  districtOrCounty: text(200).optional(),
  stateOrRegion: text(200).optional(),
  municipality: text(200).optional(),
  postalCode: text(40).optional(),
  countryCode: text(3).optional(),
  phone: text(60).optional(),
  addressType: text(40).optional(),
});

const item = z.object({
  orderItemId: id(),
  quantityOrdered: z.number().int().min(0).max(1_000_000),
  programs: list(text(60), 50).optional(),
  product: z.object({
    asin: text(20).optional(),
    title: text(2_000).optional(),
    sellerSku: text(200).optional(),
    condition: z
      .object({ conditionType: text(40).optional(), conditionSubtype: text(40).optional() })
      .optional(),
    price: z.object({ unitPrice: money.optional(), priceDesignation: text(60).optional() }).optional(),
  }),
  proceeds: z
    .object({
      proceedsTotal: money.optional(),
      breakdowns: list(z.object({ type: text(60), subtotal: money.optional() }), 100).optional(),
    })
    .optional(),
  promotion: z
    .object({ breakdowns: list(z.object({ promotionId: text(200).optional() }), 100).optional() })
    .optional(),
  fulfillment: z
    .object({
      quantityFulfilled: z.number().int().min(0).optional(),
      quantityUnfulfilled: z.number().int().min(0).optional(),
    })
    .optional(),
});

export const orderSchema = z.object({
  orderId: id(),
  createdTime: isoDateTime(),
  lastUpdatedTime: isoDateTime(),
  programs: list(text(60), 50).optional(),
  salesChannel: z.object({
    channelName: text(60),
    marketplaceId: text(40).optional(),
    marketplaceName: text(200).optional(),
  }),
  buyer: z
    .object({
      buyerName: text(500).optional(),
      buyerEmail: text(500).optional(),
      buyerCompanyName: text(500).optional(),
      buyerPurchaseOrderNumber: text(200).optional(),
    })
    .optional(),
  recipient: z.object({ deliveryAddress: address.optional() }).optional(),
  proceeds: z.object({ grandTotal: money.optional() }).optional(),
  fulfillment: z
    .object({
      fulfillmentStatus: text(40),
      fulfilledBy: text(40).optional(),
      fulfillmentServiceLevel: text(60).optional(),
      shipByWindow: window.optional(),
      deliverByWindow: window.optional(),
    })
    .optional(),
  orderItems: list(item, 1_000),
  packages: list(
    z.object({
      packageReferenceId: text(200),
      createdTime: isoDateTime().optional(),
      packageStatus: z.object({ status: text(60).optional() }).optional(),
      carrier: text(200).optional(),
      shipTime: isoDateTime().optional(),
      trackingNumber: text(200).optional(),
      packageItems: list(
        z.object({ orderItemId: id(), quantity: z.number().int().min(0) }),
        1_000,
      ).optional(),
    }),
    200,
  ).optional(),
});
export type Order = z.infer<typeof orderSchema>;

export const searchOrdersSchema = z.object({
  orders: list(orderSchema, 100),
  pagination: z.object({ nextToken: text(8_000).optional() }).optional(),
  createdBefore: isoDateTime().optional(),
  lastUpdatedBefore: isoDateTime().optional(),
});
export type SearchOrdersResponse = z.infer<typeof searchOrdersSchema>;

export const getOrderSchema = z.object({ order: orderSchema });

export type FulfillmentStatus =
  | "PENDING_AVAILABILITY"
  | "PENDING"
  | "UNSHIPPED"
  | "PARTIALLY_SHIPPED"
  | "SHIPPED"
  | "CANCELLED"
  | "UNFULFILLABLE";

export interface SearchOrdersParams {
  createdAfter?: string;
  createdBefore?: string;
  lastUpdatedAfter?: string;
  lastUpdatedBefore?: string;
  marketplaceIds?: readonly string[];
  fulfillmentStatuses?: readonly FulfillmentStatus[];
  fulfilledBy?: readonly ("MERCHANT" | "AMAZON")[];
  includedData?: readonly OrderDataset[];
  maxResultsPerPage?: number;
  paginationToken?: string;
}

export function searchOrdersRequest(params: SearchOrdersParams): SpApiRequest<SearchOrdersResponse> {
  return {
    operation: "searchOrders",
    method: "GET",
    path: "/orders/2026-01-01/orders",
    query: {
      createdAfter: params.createdAfter,
      createdBefore: params.createdBefore,
      lastUpdatedAfter: params.lastUpdatedAfter,
      lastUpdatedBefore: params.lastUpdatedBefore,
      marketplaceIds: params.marketplaceIds,
      fulfillmentStatuses: params.fulfillmentStatuses,
      fulfilledBy: params.fulfilledBy,
      includedData: params.includedData,
      maxResultsPerPage: params.maxResultsPerPage,
      paginationToken: params.paginationToken,
    },
    includedData: params.includedData ?? [],
    response: searchOrdersSchema,
  };
}

export function searchOrders(
  client: SpApiCaller,
  accountId: string,
  params: SearchOrdersParams,
  options?: CallOptions,
): Promise<SearchOrdersResponse> {
  return client.call(accountId, searchOrdersRequest(params), options);
}

export function getOrderRequest(params: {
  orderId: string;
  includedData?: readonly OrderDataset[];
}): SpApiRequest<{ order: Order }> {
  return {
    operation: "getOrder",
    method: "GET",
    path: `/orders/2026-01-01/orders/${encodeSegment(params.orderId)}`,
    query: { includedData: params.includedData },
    includedData: params.includedData ?? [],
    response: getOrderSchema,
  };
}

export async function getOrder(
  client: SpApiCaller,
  accountId: string,
  params: { orderId: string; includedData?: readonly OrderDataset[] },
  options?: CallOptions,
): Promise<Order> {
  return (await client.call(accountId, getOrderRequest(params), options)).order;
}

export interface ConfirmShipmentParams {
  orderId: string;
  marketplaceId: string;
  packageReferenceId: string;
  carrierCode: string;
  trackingNumber: string;
  shipDate: string;
  shippingMethod?: string;
  orderItems: readonly { orderItemId: string; quantity: number }[];
}

/** Orders v0 confirmShipment: 2026-01-01 has no equivalent yet (kept until the v0 deadline). */
export function confirmShipmentRequest(params: ConfirmShipmentParams): SpApiRequest<undefined> {
  return {
    operation: "confirmShipment",
    method: "POST",
    path: `/orders/v0/orders/${encodeSegment(params.orderId)}/shipmentConfirmation`,
    body: {
      marketplaceId: params.marketplaceId,
      packageDetail: {
        packageReferenceId: params.packageReferenceId,
        carrierCode: params.carrierCode,
        trackingNumber: params.trackingNumber,
        shipDate: params.shipDate,
        ...(params.shippingMethod ? { shippingMethod: params.shippingMethod } : {}),
        orderItems: params.orderItems.map((i) => ({ orderItemId: i.orderItemId, quantity: i.quantity })),
      },
    },
    response: null,
  };
}

export async function confirmShipment(
  client: SpApiCaller,
  accountId: string,
  params: ConfirmShipmentParams,
  options?: CallOptions,
): Promise<void> {
  await client.call(accountId, confirmShipmentRequest(params), options);
}
