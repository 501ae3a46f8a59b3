import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { isoSeconds, MINUTE } from "./clock.js";
import type { SandboxContext } from "./context.js";
import { MAX_UPDATE_LAG_MS, type OrderRecord, type SellerProfile } from "./data-generator.js";
import {
  decodeToken,
  denied,
  encodeToken,
  invalidInput,
  notFound,
  queryDate,
  queryInt,
  queryList,
  requireInput,
} from "./errors.js";
import type { SellerAuth } from "./lwa-state.js";
import { INCLUDED_DATA, type IncludedData, orderView, PII_DATASETS } from "./order-views.js";
import { sellerOf, spapiGuard } from "./spapi-guard.js";

const FULFILLMENT_STATUSES = [
  "PENDING_AVAILABILITY",
  "PENDING",
  "UNSHIPPED",
  "PARTIALLY_SHIPPED",
  "SHIPPED",
  "CANCELLED",
  "UNFULFILLABLE",
];
const FULFILLED_BY = ["MERCHANT", "AMAZON"];
/** One page never scans more than this many orders, like Amazon returning short pages with a next token. */
const SCAN_BUDGET = 25_000;

interface SearchCursor {
  by: "created" | "updated";
  after: number;
  before: number;
  markets?: string[] | undefined;
  statuses?: string[] | undefined;
  fulfilledBy?: string[] | undefined;
  size: number;
  next: number;
}

function enumList(value: unknown, allowed: readonly string[], name: string): string[] | undefined {
  const list = queryList(value);
  requireInput(!list || list.every((v) => allowed.includes(v)), `${name} contains an unsupported value.`);
  return list;
}

/** Buyer and recipient datasets need the restricted role; undefined when refused (reply already sent). */
function includedFor(request: FastifyRequest, reply: FastifyReply, seller: SellerAuth) {
  const included = new Set(
    enumList((request.query as Record<string, unknown>).includedData, INCLUDED_DATA, "includedData") as
      | IncludedData[]
      | undefined,
  );
  if (!seller.piiRole && PII_DATASETS.some((d) => included.has(d))) {
    denied(reply, "The application is not authorized for the requested includedData (BUYER, RECIPIENT).");
    return undefined;
  }
  return included;
}

function cursorFrom(query: Record<string, unknown>, nowMs: number): SearchCursor {
  if (typeof query.paginationToken === "string" && query.paginationToken !== "") {
    const c = decodeToken<SearchCursor>(query.paginationToken, "paginationToken");
    requireInput(
      (c.by === "created" || c.by === "updated") &&
        [c.after, c.before, c.size, c.next].every((n) => Number.isFinite(n)),
      "paginationToken is invalid.",
    );
    return c;
  }
  const createdAfter = queryDate(query.createdAfter, "createdAfter");
  const updatedAfter = queryDate(query.lastUpdatedAfter, "lastUpdatedAfter");
  requireInput(
    (createdAfter === undefined) !== (updatedAfter === undefined),
    "Exactly one of createdAfter or lastUpdatedAfter must be specified.",
  );
  const latest = nowMs - 2 * MINUTE;
  const by = createdAfter !== undefined ? "created" : "updated";
  const beforeParam = by === "created" ? query.createdBefore : query.lastUpdatedBefore;
  requireInput(by === "created" || query.createdBefore === undefined, "createdBefore needs createdAfter.");
  requireInput(
    by === "updated" || query.lastUpdatedBefore === undefined,
    "lastUpdatedBefore needs lastUpdatedAfter.",
  );
  const before = Math.min(queryDate(beforeParam, "before") ?? latest, latest);
  const after = (createdAfter ?? updatedAfter) as number;
  requireInput(
    after < before,
    "The after date must be earlier than the before date (and than two minutes ago).",
  );
  return {
    by,
    after,
    before,
    markets: queryList(query.marketplaceIds),
    statuses: enumList(query.fulfillmentStatuses, FULFILLMENT_STATUSES, "fulfillmentStatuses"),
    fulfilledBy: enumList(query.fulfilledBy, FULFILLED_BY, "fulfilledBy"),
    size: queryInt(query.maxResultsPerPage, "maxResultsPerPage", 1, 100, 100),
    next: -1,
  };
}

function matches(order: OrderRecord, c: SearchCursor): boolean {
  const at = c.by === "created" ? order.createdMs : order.lastUpdatedMs;
  return (
    at >= c.after &&
    at < c.before &&
    (!c.markets || c.markets.includes(order.marketplace.id)) &&
    (!c.statuses || c.statuses.includes(order.status)) &&
    (!c.fulfilledBy || c.fulfilledBy.includes(order.fulfilledBy))
  );
}

export function registerOrdersRoutes(app: FastifyInstance, ctx: SandboxContext): void {
  const { data } = ctx;
  const profileOf = (request: FastifyRequest): [SellerAuth, SellerProfile] => {
    const seller = sellerOf(request);
    return [seller, data.sellerById(seller.sellingPartnerId) as SellerProfile];
  };

  app.get(
    "/orders/2026-01-01/orders",
    { preHandler: spapiGuard(ctx, "searchOrders") },
    async (request, reply) => {
      const [seller, profile] = profileOf(request);
      const included = includedFor(request, reply, seller);
      if (!included) return reply;
      const c = cursorFrom(request.query as Record<string, unknown>, ctx.time.now());
      const count = data.countFor(profile);
      let j = c.next;
      if (j < 0) {
        j =
          c.by === "created"
            ? data.firstLocalCreatedAtOrAfter(profile, c.after)
            : Math.min(
                data.firstLocalCreatedAtOrAfter(profile, c.after - MAX_UPDATE_LAG_MS),
                data.firstConfirmedLocal(profile),
              );
      }
      const orders: Record<string, unknown>[] = [];
      let scanned = 0;
      let done = false;
      for (; j < count && orders.length < c.size && scanned < SCAN_BUDGET; j++, scanned++) {
        const order = data.orderOf(profile, j);
        // Created times only grow with j, and nothing is updated before it is created.
        if (order.createdMs >= c.before) {
          done = true;
          break;
        }
        if (matches(order, c)) orders.push(orderView(order, included));
      }
      if (j >= count) done = true;
      const body: Record<string, unknown> = { orders };
      if (!done) body.pagination = { nextToken: encodeToken({ ...c, next: j }) };
      body[c.by === "created" ? "createdBefore" : "lastUpdatedBefore"] = isoSeconds(c.before);
      return body;
    },
  );

  app.get(
    "/orders/2026-01-01/orders/:orderId",
    { preHandler: spapiGuard(ctx, "getOrder") },
    async (request, reply) => {
      const [seller, profile] = profileOf(request);
      const included = includedFor(request, reply, seller);
      if (!included) return reply;
      const { orderId } = request.params as { orderId: string };
      const order = data.findOrder(orderId);
      if (!order || order.seller !== profile) return notFound(reply, `Order ${orderId} was not found.`);
      return { order: orderView(order, included) };
    },
  );

  app.post(
    "/orders/v0/orders/:orderId/shipmentConfirmation",
    { preHandler: spapiGuard(ctx, "confirmShipment") },
    async (request, reply) => {
      const [, profile] = profileOf(request);
      const { orderId } = request.params as { orderId: string };
      const order = data.findOrder(orderId);
      if (!order || order.seller !== profile) return notFound(reply, `Order ${orderId} was not found.`);
      const body = (request.body ?? {}) as Record<string, unknown>;
      const pkg = (body.packageDetail ?? {}) as Record<string, unknown>;
      const items = Array.isArray(pkg.orderItems) ? (pkg.orderItems as Record<string, unknown>[]) : [];
      const shipMs = typeof pkg.shipDate === "string" ? Date.parse(pkg.shipDate) : Number.NaN;
      requireInput(body.marketplaceId === order.marketplace.id, "marketplaceId does not match the order.");
      for (const name of ["packageReferenceId", "carrierCode", "trackingNumber"]) {
        requireInput(typeof pkg[name] === "string" && pkg[name] !== "", `packageDetail.${name} is required.`);
      }
      requireInput(Number.isFinite(shipMs), "packageDetail.shipDate must be an ISO 8601 date-time.");
      requireInput(items.length > 0, "packageDetail.orderItems is required.");
      for (const item of items) {
        const known = order.items.find((i) => i.orderItemId === item.orderItemId);
        requireInput(
          known &&
            Number.isInteger(item.quantity) &&
            (item.quantity as number) > 0 &&
            (item.quantity as number) <= known.quantity,
          "packageDetail.orderItems has an unknown orderItemId or a wrong quantity.",
        );
      }
      if (order.fulfilledBy !== "MERCHANT" || order.status !== "UNSHIPPED") {
        return invalidInput(reply, `Order ${orderId} is not an unshipped merchant-fulfilled order.`);
      }
      data.confirmShipment(
        order,
        {
          shipMs,
          carrier: pkg.carrierCode as string,
          trackingNumber: pkg.trackingNumber as string,
          packageReferenceId: pkg.packageReferenceId as string,
        },
        ctx.time.now(),
      );
      return reply.code(204).send();
    },
  );
}
