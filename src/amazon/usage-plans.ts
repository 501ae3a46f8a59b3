/**
 * The SP-API operations Seller Pilot calls, with the usage plan (requests per second, burst) printed in each
 * operation's model description and the model file it lives in. usage-plans.test.ts checks this table
 * against ../shared/spapi-models, so a changed plan upstream fails CI instead of drifting silently.
 */
export const USAGE_PLANS = {
  searchOrders: { rate: 0.0056, burst: 20, model: "orders_2026-01-01.json" },
  getOrder: { rate: 0.5, burst: 30, model: "orders_2026-01-01.json" },
  confirmShipment: { rate: 2, burst: 10, model: "ordersV0.json" },
  createRestrictedDataToken: { rate: 1, burst: 10, model: "tokens_2021-03-01.json" },
  createReport: { rate: 0.0167, burst: 15, model: "reports_2021-06-30.json" },
  getReport: { rate: 2, burst: 15, model: "reports_2021-06-30.json" },
  getReportDocument: { rate: 0.0167, burst: 15, model: "reports_2021-06-30.json" },
  getInventorySummaries: { rate: 2, burst: 2, model: "fbaInventory.json" },
  listFinancialEvents: { rate: 0.5, burst: 30, model: "financesV0.json" },
  getCompetitiveSummary: { rate: 0.033, burst: 1, model: "productPricing_2022-05-01.json" },
  getMarketplaceParticipations: { rate: 0.016, burst: 15, model: "sellers.json" },
  rotateApplicationClientSecret: { rate: 0.0167, burst: 1, model: "application_2023-11-30.json" },
} as const satisfies Record<string, UsagePlan & { model: string }>;

export type SpApiOperation = keyof typeof USAGE_PLANS;

export interface UsagePlan {
  /** Requests per (Amazon) second. */
  rate: number;
  burst: number;
}

export const SPAPI_OPERATIONS = Object.keys(USAGE_PLANS) as SpApiOperation[];

export function usagePlan(operation: SpApiOperation): UsagePlan {
  const { rate, burst } = USAGE_PLANS[operation];
  return { rate, burst };
}
