import { AppError } from "../platform/errors.js";
import type { SpApiOperation } from "./usage-plans.js";

/**
 * Data minimization: each feature declares the SP-API roles, operations and Orders `includedData` datasets it
 * needs. The client refuses any call outside the union of a seller account's enabled features before a byte
 * goes to Amazon. Buyer and recipient datasets belong to FBM shipping alone.
 */
export const FEATURE_NAMES = ["orders_sales", "inventory", "pricing", "finances", "fbm_shipping"] as const;
export type FeatureName = (typeof FEATURE_NAMES)[number];

export const ORDER_DATASETS = [
  "BUYER",
  "RECIPIENT",
  "PROCEEDS",
  "EXPENSE",
  "PROMOTION",
  "CANCELLATION",
  "FULFILLMENT",
  "PACKAGES",
  "TAX",
  "PAYMENT",
  "FULFILLMENT_ORDERS",
] as const;
export type OrderDataset = (typeof ORDER_DATASETS)[number];
/** Datasets that carry personal data. */
export const PII_DATASETS: readonly OrderDataset[] = ["BUYER", "RECIPIENT"];

export interface FeatureSpec {
  label: string;
  /** SP-API roles (as named in Seller Central's app registration) the feature needs. */
  roles: readonly string[];
  operations: readonly SpApiOperation[];
  includedData: readonly OrderDataset[];
  /** Restricted data elements a Restricted Data Token may cover for this feature's operations. */
  restrictedDataElements?: readonly string[];
}

export const FEATURES: Readonly<Record<FeatureName, FeatureSpec>> = {
  orders_sales: {
    label: "Orders & sales",
    roles: ["Inventory and Order Tracking"],
    operations: ["searchOrders", "getOrder", "createReport", "getReport", "getReportDocument"],
    includedData: ["PROCEEDS", "EXPENSE", "PROMOTION", "CANCELLATION", "FULFILLMENT", "PACKAGES"],
  },
  inventory: {
    label: "Inventory",
    roles: ["Amazon Fulfillment", "Inventory and Order Tracking"],
    operations: ["getInventorySummaries"],
    includedData: [],
  },
  pricing: {
    label: "Pricing",
    roles: ["Pricing"],
    operations: ["getCompetitiveSummary"],
    includedData: [],
  },
  finances: {
    label: "Finances",
    roles: ["Finance and Accounting"],
    operations: ["listFinancialEvents"],
    includedData: [],
  },
  fbm_shipping: {
    label: "FBM shipping",
    roles: ["Inventory and Order Tracking", "Direct-to-Consumer Shipping (restricted)"],
    operations: ["searchOrders", "getOrder", "confirmShipment", "createRestrictedDataToken"],
    includedData: ["BUYER", "RECIPIENT", "FULFILLMENT", "PACKAGES"],
    restrictedDataElements: ["buyerInfo", "shippingAddress"],
  },
};

/**
 * Operations every connected account may call whatever its features: reading which marketplaces it sells in
 * (the connect flow needs it) carries no Amazon Information beyond the seller's own store.
 */
export const ACCOUNT_OPERATIONS: readonly SpApiOperation[] = ["getMarketplaceParticipations"];
/** Application-level (grantless) operations: not tied to a seller account, so no feature applies. */
export const APPLICATION_OPERATIONS: readonly SpApiOperation[] = ["rotateApplicationClientSecret"];

export function isFeatureName(value: string): value is FeatureName {
  return (FEATURE_NAMES as readonly string[]).includes(value);
}

/** The SP-API roles the enabled features need, sorted and without repeats (shown in settings). */
export function requiredRoles(enabled: Iterable<FeatureName>): string[] {
  const roles = new Set<string>();
  for (const name of enabled) for (const role of FEATURES[name].roles) roles.add(role);
  return [...roles].sort();
}

export interface AllowanceQuestion {
  operation: SpApiOperation;
  includedData?: readonly string[];
  /** Restricted data elements of the call's Restricted Data Token, if it uses one. */
  dataElements?: readonly string[];
}

/** Why a call is outside the enabled features, or null when it is allowed. */
export function refusalReason(enabled: Iterable<FeatureName>, call: AllowanceQuestion): string | null {
  if (APPLICATION_OPERATIONS.includes(call.operation) || ACCOUNT_OPERATIONS.includes(call.operation)) {
    return (call.includedData?.length ?? 0) > 0 ? "includedData not expected" : null;
  }
  const features = [...enabled].map((name) => FEATURES[name]);
  if (!features.some((f) => f.operations.includes(call.operation))) {
    return `operation ${call.operation} belongs to no enabled feature`;
  }
  for (const dataset of call.includedData ?? []) {
    const ok = features.some(
      (f) => f.operations.includes(call.operation) && (f.includedData as readonly string[]).includes(dataset),
    );
    if (!ok) return `includedData ${dataset} belongs to no enabled feature`;
  }
  for (const element of call.dataElements ?? []) {
    const ok = features.some(
      (f) => f.operations.includes(call.operation) && (f.restrictedDataElements ?? []).includes(element),
    );
    if (!ok) return `restricted data element ${element} belongs to no enabled feature`;
  }
  return null;
}

/** Throws SPAPI_FEATURE_DISABLED when the call is outside the enabled features. */
export function assertAllowed(enabled: Iterable<FeatureName>, call: AllowanceQuestion): void {
  const reason = refusalReason(enabled, call);
  if (reason !== null) {
    throw new AppError("SPAPI_FEATURE_DISABLED", undefined, {
      details: { operation: call.operation, reason },
    });
  }
}
