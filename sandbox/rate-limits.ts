/** Default usage plans (rate in requests per Amazon second, burst) as printed in each operation's model. */
export const USAGE_PLANS = {
  searchOrders: { rate: 0.0056, burst: 20 },
  getOrder: { rate: 0.5, burst: 30 },
  confirmShipment: { rate: 2, burst: 10 },
  createRestrictedDataToken: { rate: 1, burst: 10 },
  createReport: { rate: 0.0167, burst: 15 },
  getReport: { rate: 2, burst: 15 },
  getReportDocument: { rate: 0.0167, burst: 15 },
  getInventorySummaries: { rate: 2, burst: 2 },
  listFinancialEvents: { rate: 0.5, burst: 30 },
  getCompetitiveSummary: { rate: 0.033, burst: 1 },
  getMarketplaceParticipations: { rate: 0.016, burst: 15 },
  rotateApplicationClientSecret: { rate: 0.0167, burst: 1 },
} as const satisfies Record<string, UsagePlan>;

export type Operation = keyof typeof USAGE_PLANS;

export interface UsagePlan {
  rate: number;
  burst: number;
}

/** Which model file holds each operation (the usage-plan test reads them to check the table). */
export const OPERATION_MODELS: Record<Operation, string> = {
  searchOrders: "orders_2026-01-01.json",
  getOrder: "orders_2026-01-01.json",
  confirmShipment: "ordersV0.json",
  createRestrictedDataToken: "tokens_2021-03-01.json",
  createReport: "reports_2021-06-30.json",
  getReport: "reports_2021-06-30.json",
  getReportDocument: "reports_2021-06-30.json",
  getInventorySummaries: "fbaInventory.json",
  listFinancialEvents: "financesV0.json",
  getCompetitiveSummary: "productPricing_2022-05-01.json",
  getMarketplaceParticipations: "sellers.json",
  rotateApplicationClientSecret: "application_2023-11-30.json",
};

/** Reads `| rate | burst |` from an operation description's "Usage Plan" table. */
export function parseUsagePlan(description: string): UsagePlan | undefined {
  const match = /Usage Plan:?\**\s*\|[^\n]*\|\s*\n\s*\|[-\s|]+\|\s*\n\s*\|\s*([\d.]+)\s*\|\s*(\d+)\s*\|/.exec(
    description,
  );
  if (!match) return undefined;
  return { rate: Number(match[1]), burst: Number(match[2]) };
}

export type RateDecision = { allowed: true; plan: UsagePlan } | { allowed: false; plan: UsagePlan };

/**
 * Token buckets per (selling partner, application, operation), refilled in Amazon time: a time scale of 60
 * makes a 0.0167 req/s bucket refill once per real second.
 */
export class RateLimiter {
  readonly #plans: Record<Operation, UsagePlan>;
  readonly #buckets = new Map<string, { tokens: number; atMs: number }>();

  constructor(overrides: Partial<Record<Operation, UsagePlan>> = {}) {
    this.#plans = { ...USAGE_PLANS, ...overrides };
  }

  plan(operation: Operation): UsagePlan {
    return this.#plans[operation];
  }

  take(principal: string, applicationId: string, operation: Operation, nowMs: number): RateDecision {
    const plan = this.#plans[operation];
    const key = `${principal}\u0000${applicationId}\u0000${operation}`;
    const bucket = this.#buckets.get(key) ?? { tokens: plan.burst, atMs: nowMs };
    const elapsedSeconds = Math.max(0, nowMs - bucket.atMs) / 1000;
    bucket.tokens = Math.min(plan.burst, bucket.tokens + elapsedSeconds * plan.rate);
    bucket.atMs = nowMs;
    this.#buckets.set(key, bucket);
    if (bucket.tokens < 1) return { allowed: false, plan };
    bucket.tokens -= 1;
    return { allowed: true, plan };
  }
}
