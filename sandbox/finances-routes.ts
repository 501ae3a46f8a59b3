import type { FastifyInstance } from "fastify";
import { isoSeconds, MINUTE } from "./clock.js";
import type { SandboxContext } from "./context.js";
import { MAX_UPDATE_LAG_MS, type OrderRecord, type SellerProfile } from "./data-generator.js";
import { decodeToken, encodeToken, queryDate, queryInt, requireInput } from "./errors.js";
import { sellerOf, spapiGuard } from "./spapi-guard.js";

interface FinanceCursor {
  after: number;
  before: number;
  size: number;
  next: number;
  skip: number;
}

const SCAN_BUDGET = 25_000;

const currency = (cents: number, code: string) => ({ CurrencyCode: code, CurrencyAmount: cents / 100 });

/** The financial events an order posts: one shipment event when shipped, one refund event if refunded. */
export function financialEventsOf(
  order: OrderRecord,
): { kind: "shipment" | "refund"; postedMs: number; event: Record<string, unknown> }[] {
  const code = order.marketplace.currency;
  const out: ReturnType<typeof financialEventsOf> = [];
  const base = {
    AmazonOrderId: order.orderId,
    SellerOrderId: order.orderId,
    MarketplaceName: order.marketplace.name,
  };
  if (order.status === "SHIPPED" && order.shipment) {
    out.push({
      kind: "shipment",
      postedMs: order.shipment.shipMs,
      event: {
        ...base,
        PostedDate: isoSeconds(order.shipment.shipMs),
        ShipmentItemList: order.items.map((item) => ({
          SellerSKU: item.product.sellerSku,
          OrderItemId: item.orderItemId,
          QuantityShipped: item.quantity,
          ItemChargeList: [
            { ChargeType: "Principal", ChargeAmount: currency(item.unitCents * item.quantity, code) },
            { ChargeType: "Tax", ChargeAmount: currency(item.taxCents, code) },
            { ChargeType: "ShippingCharge", ChargeAmount: currency(item.shippingCents, code) },
          ],
          ItemFeeList: [
            { FeeType: "Commission", FeeAmount: currency(-item.referralFeeCents, code) },
            ...(item.fbaFeeCents > 0
              ? [{ FeeType: "FBAPerUnitFulfillmentFee", FeeAmount: currency(-item.fbaFeeCents, code) }]
              : []),
          ],
          PromotionList:
            item.promotionCents > 0
              ? [
                  {
                    PromotionType: "PromotionMetaDataDefinitionValue",
                    PromotionId: `PROMO-${item.product.sellerSku}`,
                    PromotionAmount: currency(-item.promotionCents, code),
                  },
                ]
              : [],
        })),
      },
    });
  }
  if (order.refund) {
    const item = order.items[order.refund.itemIndex];
    if (item) {
      out.push({
        kind: "refund",
        postedMs: order.refund.postedMs,
        event: {
          ...base,
          PostedDate: isoSeconds(order.refund.postedMs),
          ShipmentItemAdjustmentList: [
            {
              SellerSKU: item.product.sellerSku,
              OrderAdjustmentItemId: `${item.orderItemId}R`,
              QuantityShipped: item.quantity,
              ItemChargeAdjustmentList: [
                { ChargeType: "Principal", ChargeAmount: currency(-order.refund.cents, code) },
              ],
              ItemFeeAdjustmentList: [
                { FeeType: "Commission", FeeAmount: currency(Math.round(item.referralFeeCents * 0.8), code) },
              ],
            },
          ],
        },
      });
    }
  }
  return out;
}

/** Finances v0 `listFinancialEvents`, paged over the seller's orders in posting-date windows. */
export function registerFinancesRoutes(app: FastifyInstance, ctx: SandboxContext): void {
  app.get(
    "/finances/v0/financialEvents",
    { preHandler: spapiGuard(ctx, "listFinancialEvents") },
    async (request) => {
      const profile = ctx.data.sellerById(sellerOf(request).sellingPartnerId) as SellerProfile;
      const query = request.query as Record<string, unknown>;
      let c: FinanceCursor;
      if (typeof query.NextToken === "string" && query.NextToken !== "") {
        c = decodeToken<FinanceCursor>(query.NextToken, "NextToken");
        requireInput(
          [c.after, c.before, c.size, c.next, c.skip].every(Number.isFinite),
          "NextToken is invalid.",
        );
      } else {
        const after = queryDate(query.PostedAfter, "PostedAfter");
        requireInput(after !== undefined, "PostedAfter is required.");
        const latest = ctx.time.now() - 2 * MINUTE;
        const before = Math.min(queryDate(query.PostedBefore, "PostedBefore") ?? latest, latest);
        requireInput(
          after < before,
          "PostedAfter must be earlier than PostedBefore and than two minutes ago.",
        );
        c = {
          after,
          before,
          size: queryInt(query.MaxResultsPerPage, "MaxResultsPerPage", 1, 100, 100),
          next: -1,
          skip: 0,
        };
      }
      const data = ctx.data;
      const count = data.countFor(profile);
      let j =
        c.next >= 0
          ? c.next
          : Math.min(
              data.firstLocalCreatedAtOrAfter(profile, c.after - MAX_UPDATE_LAG_MS),
              data.firstConfirmedLocal(profile),
            );
      let skip = c.next >= 0 ? c.skip : 0;
      const shipments: unknown[] = [];
      const refunds: unknown[] = [];
      let taken = 0;
      let scanned = 0;
      let more = true;
      outer: for (; j < count && scanned < SCAN_BUDGET; j++, scanned++, skip = 0) {
        const order = data.orderOf(profile, j);
        if (order.createdMs >= c.before) {
          more = false;
          break;
        }
        const events = financialEventsOf(order).filter((e) => e.postedMs >= c.after && e.postedMs < c.before);
        for (let k = skip; k < events.length; k++) {
          if (taken === c.size) {
            skip = k;
            break outer;
          }
          const e = events[k] as (typeof events)[number];
          (e.kind === "shipment" ? shipments : refunds).push(e.event);
          taken++;
        }
      }
      if (j >= count) more = false;
      const payload: Record<string, unknown> = {
        FinancialEvents: { ShipmentEventList: shipments, RefundEventList: refunds },
      };
      if (more) payload.NextToken = encodeToken({ ...c, next: j, skip });
      return { payload };
    },
  );
}
