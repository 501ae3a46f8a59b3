import {
  CARRIERS,
  FIRST_NAMES,
  LAST_NAMES,
  localCents,
  type Marketplace,
  marketplacesOfSeller,
  PRODUCTS_PER_SELLER,
  type Product,
  productOf,
  STREETS,
} from "./catalog.js";
import { DAY, HOUR, MINUTE } from "./clock.js";
import { alnum, digits, intBetween, pick, rngFor } from "./random.js";

export type FulfillmentStatus = "PENDING" | "UNSHIPPED" | "PARTIALLY_SHIPPED" | "SHIPPED" | "CANCELLED";

export interface GeneratorOptions {
  orders: number;
  seed: number;
  sellers: number;
  /** End of the generated history (Amazon time at start-up); history spans the two years before it. */
  endMs: number;
  piiCanary?: string | undefined;
}

export interface SellerProfile {
  index: number;
  sellingPartnerId: string;
  storeName: string;
  marketplaces: readonly Marketplace[];
}

export interface OrderItemRecord {
  orderItemId: string;
  product: Product;
  quantity: number;
  unitCents: number;
  taxCents: number;
  shippingCents: number;
  promotionCents: number;
  referralFeeCents: number;
  fbaFeeCents: number;
}

export interface AddressRecord {
  name: string;
  addressLine1: string;
  addressLine2: string;
  city: string;
  stateOrRegion: string;
  postalCode: string;
  countryCode: string;
  phone: string;
}

export interface ShipmentRecord {
  shipMs: number;
  carrier: string;
  trackingNumber: string;
  packageReferenceId: string;
  deliveredMs?: number | undefined;
}

export interface OrderRecord {
  index: number;
  seller: SellerProfile;
  orderId: string;
  marketplace: Marketplace;
  createdMs: number;
  lastUpdatedMs: number;
  fulfilledBy: "AMAZON" | "MERCHANT";
  status: FulfillmentStatus;
  serviceLevel: string;
  prime: boolean;
  business: boolean;
  items: OrderItemRecord[];
  buyerName: string;
  buyerEmail: string;
  address: AddressRecord;
  shipment?: ShipmentRecord | undefined;
  refund?: { postedMs: number; itemIndex: number; cents: number } | undefined;
}

export const HISTORY_MS = 730 * DAY;
/** No order changes more than this long after it was created; bounds every lastUpdated/posted scan. */
export const MAX_UPDATE_LAG_MS = 28 * DAY;

const ORDER_ID_SPACE = 10n ** 14n;
const ORDER_ID_MULTIPLIER = 3_141_592_653_589n;
const TAX_RATE: Record<string, number> = { US: 0.0825, CA: 0.13, GB: 0.2, DE: 0.19 };
const STREAM = { seller: 1, order: 2, created: 3, offset: 4 } as const;

function modInverse(a: bigint, m: bigint): bigint {
  let [oldR, r] = [a % m, m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  return ((oldS % m) + m) % m;
}
const ORDER_ID_INVERSE = modInverse(ORDER_ID_MULTIPLIER, ORDER_ID_SPACE);

/**
 * The sandbox's seller data. Order i is a pure function of (seed, i), so 200,000 orders cost no memory; only
 * shipments confirmed through the API are kept, as an overlay.
 */
export class OrderData {
  readonly sellers: readonly SellerProfile[];
  readonly #opts: GeneratorOptions;
  readonly #startMs: number;
  readonly #stepMs: number;
  readonly #idOffset: bigint;
  readonly #confirmed = new Map<number, ShipmentRecord & { confirmedMs: number }>();

  constructor(opts: GeneratorOptions) {
    if (!(Number.isInteger(opts.orders) && opts.orders >= 0))
      throw new RangeError("orders must be an integer >= 0");
    if (!(Number.isInteger(opts.sellers) && opts.sellers >= 1)) throw new RangeError("sellers must be >= 1");
    this.#opts = opts;
    this.#startMs = opts.endMs - HISTORY_MS;
    this.#stepMs = HISTORY_MS / Math.max(opts.orders, 1);
    const offsetRng = rngFor(opts.seed, STREAM.offset, 0);
    this.#idOffset = BigInt(digits(offsetRng, 13));
    this.sellers = Array.from({ length: opts.sellers }, (_, index) => {
      const rng = rngFor(opts.seed, STREAM.seller, index);
      return {
        index,
        sellingPartnerId: `A${alnum(rng, 13)}`,
        storeName: `${pick(rng, ["Northwind", "Bluebird", "Evergreen", "Summit", "Harbor"])} ${pick(rng, ["Goods", "Home", "Outfitters", "Supply"])} ${index + 1}`,
        marketplaces: marketplacesOfSeller(index),
      };
    });
  }

  get endMs(): number {
    return this.#opts.endMs;
  }

  sellerById(sellingPartnerId: string): SellerProfile | undefined {
    return this.sellers.find((s) => s.sellingPartnerId === sellingPartnerId);
  }

  /** How many orders seller s has: global indices s, s+K, s+2K, ... */
  countFor(seller: SellerProfile): number {
    const { orders, sellers } = this.#opts;
    return seller.index >= orders ? 0 : Math.floor((orders - 1 - seller.index) / sellers) + 1;
  }

  createdMsOf(globalIndex: number): number {
    const jitter = rngFor(this.#opts.seed, STREAM.created, globalIndex)();
    return Math.floor(this.#startMs + (globalIndex + jitter) * this.#stepMs);
  }

  /** First local index j of the seller whose order was created at or after `ms` (created times are monotonic). */
  firstLocalCreatedAtOrAfter(seller: SellerProfile, ms: number): number {
    let lo = 0;
    let hi = this.countFor(seller);
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.createdMsOf(mid * this.#opts.sellers + seller.index) < ms) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Lowest local index among orders changed through the API (they may have moved forward in time). */
  firstConfirmedLocal(seller: SellerProfile): number {
    let min = Number.POSITIVE_INFINITY;
    for (const index of this.#confirmed.keys()) {
      if (index % this.#opts.sellers === seller.index)
        min = Math.min(min, Math.floor(index / this.#opts.sellers));
    }
    return min;
  }

  orderOf(seller: SellerProfile, local: number): OrderRecord {
    return this.#order(local * this.#opts.sellers + seller.index);
  }

  findOrder(orderId: string): OrderRecord | undefined {
    const match = /^\d{3}-(\d{7})-(\d{7})$/.exec(orderId);
    if (!match) return undefined;
    const n = BigInt(`${match[1]}${match[2]}`);
    const index = Number(
      (((((n - this.#idOffset) % ORDER_ID_SPACE) + ORDER_ID_SPACE) % ORDER_ID_SPACE) * ORDER_ID_INVERSE) %
        ORDER_ID_SPACE,
    );
    if (index >= this.#opts.orders) return undefined;
    const order = this.#order(index);
    return order.orderId === orderId ? order : undefined;
  }

  confirmShipment(order: OrderRecord, shipment: ShipmentRecord, nowMs: number): void {
    this.#confirmed.set(order.index, { ...shipment, confirmedMs: nowMs });
  }

  #order(index: number): OrderRecord {
    const { seed, sellers, piiCanary } = this.#opts;
    const endMs = this.#opts.endMs;
    const seller = this.sellers[index % sellers] as SellerProfile;
    const rng = rngFor(seed, STREAM.order, index);
    const marketplace = (rng() < 0.8 ? seller.marketplaces[0] : seller.marketplaces[1]) as Marketplace;
    const createdMs = this.createdMsOf(index);
    const fba = rng() < 0.7;
    const ageMs = endMs - createdMs;
    const cancelled = rng() < 0.025;
    let status: FulfillmentStatus;
    if (cancelled) status = "CANCELLED";
    else if (ageMs < 2 * HOUR) status = "PENDING";
    else if (ageMs < (fba ? 20 : 36) * HOUR) status = "UNSHIPPED";
    else status = "SHIPPED";

    const itemCount = rng() < 0.75 ? 1 : rng() < 0.72 ? 2 : 3;
    const taxRate = TAX_RATE[marketplace.countryCode] ?? 0;
    const digitsOfId = ((BigInt(index) * ORDER_ID_MULTIPLIER + this.#idOffset) % ORDER_ID_SPACE)
      .toString()
      .padStart(14, "0");
    const items: OrderItemRecord[] = [];
    for (let k = 0; k < itemCount; k++) {
      const product = productOf(seed, seller.index, intBetween(rng, 0, PRODUCTS_PER_SELLER - 1));
      const quantity = rng() < 0.85 ? 1 : intBetween(rng, 2, 3);
      const unitCents = localCents(product, marketplace);
      const principal = unitCents * quantity;
      items.push({
        orderItemId: `${digitsOfId.slice(0, 12)}${(k + 1).toString().padStart(2, "0")}`,
        product,
        quantity,
        unitCents,
        taxCents: Math.round(principal * taxRate),
        shippingCents: fba ? 0 : Math.round(499 * marketplace.priceFactor),
        promotionCents: rng() < 0.1 ? Math.round(principal * 0.1) : 0,
        referralFeeCents: Math.round(principal * 0.15),
        fbaFeeCents: fba ? quantity * (322 + Math.floor(product.weightGrams / 250) * 45) : 0,
      });
    }

    const canary = piiCanary ? ` ${piiCanary}` : "";
    // Leak scans also catch a leaked e-mail address when the canary fits in one.
    const emailCanary = piiCanary && /^[A-Za-z0-9._-]+$/.test(piiCanary) ? `${piiCanary}.` : "";
    const first = pick(rng, FIRST_NAMES);
    const last = pick(rng, LAST_NAMES);
    const place = pick(rng, marketplace.cities);
    const address: AddressRecord = {
      name: `${first} ${last}${canary}`,
      addressLine1: `${intBetween(rng, 1, 999)} ${pick(rng, STREETS)}${canary}`,
      addressLine2: `${pick(rng, ["Apt", "Unit", "Floor"])} ${intBetween(rng, 1, 40)}${canary}`,
      city: place.city,
      stateOrRegion: place.state,
      postalCode: place.postal(rng),
      countryCode: marketplace.countryCode,
      phone: `+1 555-01${digits(rng, 2)}`,
    };

    let shipment: ShipmentRecord | undefined;
    let refund: OrderRecord["refund"];
    let lastUpdatedMs = createdMs + intBetween(rng, 1, 10) * MINUTE;
    if (status === "CANCELLED") lastUpdatedMs = createdMs + intBetween(rng, 1, 24) * HOUR;
    if (status === "SHIPPED") {
      const shipMs = createdMs + intBetween(rng, fba ? 4 : 12, fba ? 20 : 36) * HOUR;
      const deliveredMs = shipMs + intBetween(rng, 1, 5) * DAY;
      shipment = {
        shipMs,
        carrier: fba ? "AMZN_US" : pick(rng, CARRIERS),
        trackingNumber: `1Z${alnum(rng, 16)}`,
        packageReferenceId: "1",
        deliveredMs: deliveredMs <= endMs ? deliveredMs : undefined,
      };
      lastUpdatedMs = shipment.deliveredMs ?? shipMs;
      const refundMs = deliveredMs + intBetween(rng, 1, 20) * DAY;
      if (rng() < 0.05 && refundMs <= endMs) {
        const itemIndex = intBetween(rng, 0, items.length - 1);
        const item = items[itemIndex] as OrderItemRecord;
        refund = { postedMs: refundMs, itemIndex, cents: item.unitCents * item.quantity };
        lastUpdatedMs = refundMs;
      }
    }
    const order: OrderRecord = {
      index,
      seller,
      orderId: `${pick(rng, marketplace.orderIdPrefixes)}-${digitsOfId.slice(0, 7)}-${digitsOfId.slice(7)}`,
      marketplace,
      createdMs,
      lastUpdatedMs: Math.min(lastUpdatedMs, endMs),
      fulfilledBy: fba ? "AMAZON" : "MERCHANT",
      status,
      serviceLevel: pick(rng, ["Standard", "Standard", "Expedited", "NextDay"]),
      prime: fba && rng() < 0.6,
      business: rng() < 0.08,
      items,
      buyerName: `${first} ${last}${canary}`,
      buyerEmail: `${emailCanary}${alnum(rng, 12).toLowerCase()}@marketplace.amazon.com`,
      address,
      shipment,
      refund,
    };
    const confirmed = this.#confirmed.get(index);
    if (confirmed) {
      order.status = "SHIPPED";
      order.shipment = confirmed;
      order.lastUpdatedMs = confirmed.confirmedMs;
    }
    return order;
  }
}
