import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { Kysely } from "kysely";
import { z } from "zod";
import { actorLabel } from "../access/authorize.js";
import type { OrderReads } from "../access/order-reads.js";
import { REVEAL_NOTE_MAX } from "../access/pii-reveal.js";
import type { SpApiCaller } from "../amazon/operation-spec.js";
import { confirmShipment } from "../amazon/operations/orders.js";
import type { DB } from "../db/schema.js";
import { requireActor } from "../identity/authentication.js";
import type { Clock } from "../platform/clock.js";
import { AppError } from "../platform/errors.js";
import { newId } from "../platform/ids.js";
import { FULFILLMENT_CHANNELS } from "./order-model.js";
import {
  accountParams,
  instant,
  orderDetailView,
  orderPageView,
  orderParams,
  pageLimit,
} from "./route-schemas.js";

export interface OrdersRoutesDeps {
  db: Kysely<DB>;
  clock: Clock;
  orders: OrderReads;
  /** The SP-API client; null when none is wired (shipping answers NOT_READY). */
  amazon: { client: SpApiCaller } | null;
}

const STATUS = /^[A-Z_]{1,40}$/;
const statusList = z
  .string()
  .max(400)
  .transform((v, ctx) => {
    const list = v
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "");
    if (list.length > 10 || !list.every((s) => STATUS.test(s))) {
      ctx.addIssue({ code: "custom", message: "status is a comma-separated list of order statuses" });
      return z.NEVER;
    }
    return list;
  });

// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

const listQuery = z.object({
  status: statusList.optional(),
  channel: z.enum(FULFILLMENT_CHANNELS).optional(),
  from: instant.optional(),
  to: instant.optional(),
  /** An order id or SKU prefix. No control characters (PostgreSQL refuses NUL in text outright). */
  search: z
    .string()
    .trim()
    .min(1)
    .max(64)
    .refine((v) => !CONTROL.test(v), "must not contain control characters")
    .optional(),
  limit: pageLimit(200, 50),
  cursor: z.string().max(200).optional(),
});

const pageQuery = z.object({ limit: pageLimit(200, 50), cursor: z.string().max(200).optional() });

const revealBody = z
  .object({
    // Checked against the fixed list by the access layer, which audits a missing or unknown purpose.
    purpose: z.string().max(40).optional(),
    note: z.string().max(REVEAL_NOTE_MAX).optional(),
  })
  .strict();

const shipBody = z
  .object({
    carrier: z.string().trim().min(1).max(60),
    trackingNumber: z
      .string()
      .trim()
      .min(1)
      .max(100)
      .regex(/^[A-Za-z0-9 ._/-]+$/),
    shipDate: instant.optional(),
  })
  .strict();

/**
 * Orders and FBM processing over HTTP. Routes read only through the access layer (OrderReads): buyer data is
 * never in a list, and in an order only under a live, purpose-bound reveal by the caller.
 */
export function ordersRoutes(deps: OrdersRoutesDeps): FastifyPluginAsyncZod {
  const { db, orders } = deps;
  return async (app) => {
    app.get(
      "/api/accounts/:accountId/orders",
      {
        config: { permission: "orders:read" },
        schema: {
          summary: "Orders, newest first: filter by status, channel, purchase dates; search order id or SKU",
          tags: ["orders"],
          params: accountParams,
          querystring: listQuery,
          response: { 200: orderPageView },
        },
      },
      async (request) => {
        const q = request.query;
        return orders.listOrders(
          db,
          requireActor(request),
          request.params.accountId,
          {
            ...(q.status ? { status: q.status } : {}),
            ...(q.channel ? { fulfillmentChannel: q.channel } : {}),
            ...(q.from ? { purchasedFrom: q.from } : {}),
            ...(q.to ? { purchasedTo: q.to } : {}),
            ...(q.search ? { search: q.search } : {}),
          },
          { limit: q.limit, cursor: q.cursor ?? null },
        );
      },
    );

    app.get(
      "/api/accounts/:accountId/orders/:orderId",
      {
        config: { permission: "orders:read" },
        schema: {
          summary: "One order with its items; buyer data only under a live reveal by the caller",
          tags: ["orders"],
          params: orderParams,
          response: { 200: orderDetailView },
        },
      },
      async (request) =>
        orders.getOrder(db, requireActor(request), request.params.accountId, request.params.orderId),
    );

    app.post(
      "/api/accounts/:accountId/orders/:orderId/reveal",
      {
        config: { permission: "orders:read_pii" },
        schema: {
          summary: "Reveals an FBM order's buyer data for a stated purpose (15 minutes, audited)",
          tags: ["orders"],
          params: orderParams,
          body: revealBody,
          response: { 200: orderDetailView },
        },
      },
      async (request) =>
        orders.reveal(db, requireActor(request), {
          accountId: request.params.accountId,
          orderId: request.params.orderId,
          purpose: request.body.purpose,
          note: request.body.note ?? null,
        }),
    );

    app.get(
      "/api/accounts/:accountId/fbm-queue",
      {
        config: { permission: "orders:ship" },
        schema: {
          summary: "Unshipped merchant-fulfilled orders, the fulfillment work list",
          tags: ["orders"],
          params: accountParams,
          querystring: pageQuery,
          response: { 200: orderPageView },
        },
      },
      async (request) =>
        orders.fbmQueue(db, requireActor(request), request.params.accountId, {
          limit: request.query.limit,
          cursor: request.query.cursor ?? null,
        }),
    );

    app.get(
      "/api/accounts/:accountId/orders/:orderId/packing-slip",
      {
        config: { permission: "orders:read_pii" },
        schema: {
          summary: "The packing slip of an order (needs a live reveal of it)",
          tags: ["orders"],
          params: orderParams,
          response: { 200: orderDetailView },
        },
      },
      async (request) =>
        orders.packingSlip(db, requireActor(request), request.params.accountId, request.params.orderId),
    );

    app.post(
      "/api/accounts/:accountId/orders/:orderId/ship",
      {
        config: { permission: "orders:ship" },
        schema: {
          summary: "Confirms the shipment to Amazon (carrier, tracking number) and marks the order shipped",
          tags: ["orders"],
          params: orderParams,
          body: shipBody,
          response: { 200: orderDetailView },
        },
      },
      async (request) => {
        const actor = requireActor(request);
        const { accountId, orderId } = request.params;
        const shipDate = request.body.shipDate ?? deps.clock.now().toISOString();
        return orders.ship(
          db,
          actor,
          accountId,
          orderId,
          { carrier: request.body.carrier, trackingNumber: request.body.trackingNumber, shipDate },
          async (plan) => {
            if (!deps.amazon) throw new AppError("NOT_READY", "No SP-API client is configured.");
            await confirmShipment(
              deps.amazon.client,
              accountId,
              {
                orderId: plan.amazonOrderId,
                marketplaceId: plan.marketplaceId,
                packageReferenceId: `sp-${newId()}`.slice(0, 40),
                carrierCode: plan.carrier,
                trackingNumber: plan.trackingNumber,
                // Amazon's examples use whole seconds.
                shipDate: `${plan.shipDate.slice(0, 19)}Z`,
                orderItems: plan.items,
              },
              { actor: actorLabel(actor) },
            );
          },
        );
      },
    );
  };
}
