import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { errorListSchema } from "./operation-spec.js";
import { financialEventsSchema } from "./operations/finances.js";
import { getOrderSchema, searchOrdersSchema } from "./operations/orders.js";
import { createReportSchema, reportDocumentSchema, reportSchema } from "./operations/reports.js";
import {
  competitiveSummarySchema,
  inventorySummariesSchema,
  marketplaceParticipationsSchema,
} from "./operations/seller-data.js";
import { restrictedDataTokenSchema } from "./operations/tokens.js";
import { type SpApiOperation, USAGE_PLANS } from "./usage-plans.js";

// The official models are read at test time from ../shared/spapi-models (never copied into the repository).
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const modelsDir = process.env.SPAPI_MODELS_DIR ?? path.resolve(repoRoot, "../shared/spapi-models/models");
// CI always has the models beside the clone: there a missing directory is a failure, never a skip.
if (process.env.CI && !existsSync(modelsDir)) {
  throw new Error(`the SP-API models are missing at ${modelsDir} (set SPAPI_MODELS_DIR)`);
}
const haveModels = existsSync(modelsDir);

interface SwaggerOperation {
  operationId?: string;
  description?: string;
  responses: Record<
    string,
    { schema?: unknown; "x-amzn-api-sandbox"?: { static?: { response?: unknown }[] } }
  >;
}

function operationOf(operation: SpApiOperation): SwaggerOperation {
  const model = JSON.parse(readFileSync(path.join(modelsDir, USAGE_PLANS[operation].model), "utf8")) as {
    paths: Record<string, Record<string, SwaggerOperation>>;
  };
  const found = Object.values(model.paths)
    .flatMap((item) => Object.values(item))
    .find((o) => o.operationId === operation);
  if (!found) throw new Error(`${operation} is not in ${USAGE_PLANS[operation].model}`);
  return found;
}

/** Reads `| rate | burst |` from the "Usage Plan" table of an operation's description. */
function usagePlanIn(description: string): { rate: number; burst: number } | undefined {
  const match = /Usage Plan:?\**\s*\|[^\n]*\|\s*\n\s*\|[-\s|]+\|\s*\n\s*\|\s*([\d.]+)\s*\|\s*(\d+)\s*\|/.exec(
    description,
  );
  return match ? { rate: Number(match[1]), burst: Number(match[2]) } : undefined;
}

/** The schema our client parses each operation's success body with (null: no body). */
const SUCCESS_SCHEMAS: Record<SpApiOperation, z.ZodType | null> = {
  searchOrders: searchOrdersSchema,
  getOrder: getOrderSchema,
  confirmShipment: null,
  createRestrictedDataToken: restrictedDataTokenSchema,
  createReport: createReportSchema,
  getReport: reportSchema,
  getReportDocument: reportDocumentSchema,
  getInventorySummaries: inventorySummariesSchema,
  listFinancialEvents: financialEventsSchema,
  getCompetitiveSummary: competitiveSummarySchema,
  getMarketplaceParticipations: marketplaceParticipationsSchema,
  rotateApplicationClientSecret: null,
};

describe.skipIf(!haveModels)("conformance with the official SP-API models", () => {
  it("the usage-plan table matches the rate and burst printed in every operation's model", () => {
    for (const [operation, plan] of Object.entries(USAGE_PLANS)) {
      const printed = usagePlanIn(operationOf(operation as SpApiOperation).description ?? "");
      expect(printed, operation).toEqual({ rate: plan.rate, burst: plan.burst });
    }
  });

  it("parses every x-amzn-api-sandbox.static example of every implemented operation", () => {
    let replayed = 0;
    for (const operation of Object.keys(USAGE_PLANS) as SpApiOperation[]) {
      for (const [status, response] of Object.entries(operationOf(operation).responses)) {
        for (const example of response["x-amzn-api-sandbox"]?.static ?? []) {
          const success = status.startsWith("2");
          const schema = success ? SUCCESS_SCHEMAS[operation] : errorListSchema;
          if (schema === null) {
            // A body-less answer: the model declares no schema, and the client reads none.
            expect(response.schema, `${operation} ${status}`).toBeUndefined();
            continue;
          }
          const parsed = schema.safeParse(example.response);
          expect(
            parsed.success,
            `${operation} ${status}: ${JSON.stringify(parsed.error?.issues.slice(0, 3))}`,
          ).toBe(true);
          replayed++;
        }
      }
    }
    expect(replayed).toBeGreaterThanOrEqual(20);
  });

  it("keeps the fields we model and drops the rest at the boundary", () => {
    const example = operationOf("getOrder").responses["200"]?.["x-amzn-api-sandbox"]?.static?.[0]?.response;
    const parsed = getOrderSchema.parse(example);
    expect(parsed.order.orderId).toMatch(/^\d{3}-\d{7}-\d{7}$/);
    expect(parsed.order.orderItems.length).toBeGreaterThan(0);
    // orderAliases is in Amazon's answer but not in our schema, so it never flows further.
    expect(example).toHaveProperty("order.orderAliases");
    expect(parsed.order).not.toHaveProperty("orderAliases");
    // A wrong type is refused, not coerced.
    expect(getOrderSchema.safeParse({ order: { ...parsed.order, orderItems: "none" } }).success).toBe(false);
  });
});
