import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv, type ValidateFunction } from "ajv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isoSeconds, SECOND } from "./clock.js";
import { OPERATION_MODELS, type Operation } from "./rate-limits.js";
import { BASE_PROCESSING_MS, QUEUE_MS } from "./reports-routes.js";
import { type SandboxHarness, startHarness } from "./test-harness.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const modelsDir = process.env.SPAPI_MODELS_DIR ?? path.resolve(repoRoot, "../shared/spapi-models/models");
// CI always has the models beside the clone: there a missing directory is a failure, never a skip.
if (process.env.CI && !existsSync(modelsDir)) {
  throw new Error(`the SP-API models are missing at ${modelsDir} (set SPAPI_MODELS_DIR)`);
}

type Schema = Record<string, unknown>;
interface SwaggerOperation {
  operationId?: string;
  responses: Record<
    string,
    { schema?: Schema; "x-amzn-api-sandbox"?: { static?: { response?: unknown }[] } }
  >;
}
interface SwaggerModel {
  paths: Record<string, Record<string, SwaggerOperation>>;
  definitions: Record<string, Schema>;
}

/**
 * Swagger 2.0 -> JSON Schema: the model's `definitions` travel with each response schema so `#/definitions/X`
 * resolves, and objects are closed (`additionalProperties: false`, except around `allOf`) so a misspelt or
 * invented field fails instead of slipping through.
 */
export function responseValidator(
  ajv: Ajv,
  model: SwaggerModel,
  schema: Schema,
  closed: boolean,
): ValidateFunction {
  const allOfTargets = new Set<string>();
  const collect = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(collect);
    else if (node && typeof node === "object") {
      for (const [key, value] of Object.entries(node)) {
        if (key === "allOf" && Array.isArray(value)) {
          for (const part of value as Schema[]) {
            if (typeof part.$ref === "string") allOfTargets.add(part.$ref.replace("#/definitions/", ""));
          }
        }
        collect(value);
      }
    }
  };
  const close = (node: unknown, open: boolean): unknown => {
    if (Array.isArray(node)) return node.map((n) => close(n, false));
    if (!node || typeof node !== "object") return node;
    const out: Schema = {};
    for (const [key, value] of Object.entries(node)) {
      if (key.startsWith("x-") || key === "example" || key === "discriminator") continue;
      out[key] = key === "allOf" ? (value as unknown[]).map((v) => close(v, true)) : close(value, false);
    }
    if (closed && !open && out.properties && out.additionalProperties === undefined && !out.allOf) {
      out.additionalProperties = false;
    }
    return out;
  };
  collect(model.definitions);
  const definitions = Object.fromEntries(
    Object.entries(model.definitions).map(([name, def]) => [name, close(def, allOfTargets.has(name))]),
  );
  return ajv.compile({ ...(close(schema, false) as Schema), definitions });
}

function newAjv(): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true, logger: false });
  ajv.addFormat("date-time", (v: string) =>
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(v),
  );
  ajv.addFormat("date", /^\d{4}-\d\d-\d\d$/);
  for (const f of ["int32", "int64", "double", "float", "uri", "url"]) ajv.addFormat(f, true);
  return ajv;
}

const models = new Map<string, SwaggerModel>();
function model(file: string): SwaggerModel {
  let m = models.get(file);
  if (!m) {
    m = JSON.parse(readFileSync(path.join(modelsDir, file), "utf8")) as SwaggerModel;
    models.set(file, m);
  }
  return m;
}

function operationOf(operationId: Operation): SwaggerOperation {
  const m = model(OPERATION_MODELS[operationId]);
  const op = Object.values(m.paths)
    .flatMap((item) => Object.values(item))
    .find((o) => o.operationId === operationId);
  if (!op) throw new Error(`${operationId} not in its model`);
  return op;
}

const ajv = existsSync(modelsDir) ? newAjv() : undefined;
const checked = new Map<Operation, Set<string>>();

/** Validates a live response against the model's schema for that operation and status. */
function expectConforms(operationId: Operation, res: { status: number; text: string }): void {
  const op = operationOf(operationId);
  const declared = op.responses[String(res.status)];
  expect(declared, `${operationId} does not declare status ${res.status}`).toBeDefined();
  if (!declared?.schema) {
    expect(res.text).toBe("");
  } else {
    const validate = responseValidator(
      ajv as Ajv,
      model(OPERATION_MODELS[operationId]),
      declared.schema,
      true,
    );
    const ok = validate(JSON.parse(res.text));
    expect(ok, `${operationId} ${res.status}: ${JSON.stringify(validate.errors?.slice(0, 3))}`).toBe(true);
  }
  const seen = checked.get(operationId) ?? new Set<string>();
  seen.add(String(res.status));
  checked.set(operationId, seen);
}

describe.skipIf(!ajv)("conformance with the official SP-API models", () => {
  let h: SandboxHarness;
  let token: string;
  let noPii: string;
  beforeAll(async () => {
    h = await startHarness({ orders: 3_000, withoutPiiRole: [1], piiCanary: "CANARY-c0n" });
    token = await h.token(0);
    noPii = await h.token(1);
  });
  afterAll(async () => {
    await h.close();
  });

  it("the schema resolver closes objects, follows $ref and reports type, enum and required errors", () => {
    const reports = model(OPERATION_MODELS.getReport);
    const validate = responseValidator(newAjv(), reports, { $ref: "#/definitions/Report" }, true);
    const good = {
      reportId: "1",
      reportType: "X",
      createdTime: "2026-01-01T00:00:00Z",
      processingStatus: "DONE",
    };
    expect(validate(good)).toBe(true);
    expect(validate({ ...good, processingStatus: "FINISHED" })).toBe(false);
    expect(validate({ ...good, createdTime: "yesterday" })).toBe(false);
    expect(validate({ ...good, reportId: 1 })).toBe(false);
    expect(validate({ ...good, extra: true })).toBe(false);
    const { reportId: _, ...missing } = good;
    expect(validate(missing)).toBe(false);
    const orders = model(OPERATION_MODELS.searchOrders);
    const search = responseValidator(newAjv(), orders, { $ref: "#/definitions/SearchOrdersResponse" }, true);
    const order = (product: unknown) => ({
      orders: [
        {
          orderId: "1",
          createdTime: "2026-01-01T00:00:00Z",
          lastUpdatedTime: "2026-01-01T00:00:00Z",
          salesChannel: { channelName: "AMAZON" },
          orderItems: [{ orderItemId: "1", quantityOrdered: 1, product }],
        },
      ],
    });
    expect(search(order({ asin: "B0" }))).toBe(true);
    expect(search(order({ asin: "B0", bogus: 1 }))).toBe(false);
  });

  it("accepts Amazon's own static sandbox examples of every implemented operation", () => {
    let examples = 0;
    for (const operationId of Object.keys(OPERATION_MODELS) as Operation[]) {
      const op = operationOf(operationId);
      for (const [status, response] of Object.entries(op.responses)) {
        for (const example of response["x-amzn-api-sandbox"]?.static ?? []) {
          if (!response.schema || example.response === undefined) continue;
          // Amazon's examples are validated open (they may carry fields the models omit).
          const validate = responseValidator(
            ajv as Ajv,
            model(OPERATION_MODELS[operationId]),
            response.schema,
            false,
          );
          expect(
            validate(example.response),
            `${operationId} ${status}: ${JSON.stringify(validate.errors)}`,
          ).toBe(true);
          examples++;
        }
      }
    }
    expect(examples).toBeGreaterThan(10);
  });

  it("orders: searchOrders, getOrder and confirmShipment answer in the models' shapes", async () => {
    const data = h.running.sandbox.context.data;
    const after = isoSeconds(data.endMs - 400 * 86_400_000);
    const all =
      "BUYER,RECIPIENT,PROCEEDS,EXPENSE,PROMOTION,CANCELLATION,FULFILLMENT,PACKAGES,TAX,PAYMENT,FULFILLMENT_ORDERS";
    const page = await h.call(
      "GET",
      `/orders/2026-01-01/orders?createdAfter=${after}&includedData=${all}`,
      token,
    );
    expectConforms("searchOrders", page);
    expectConforms(
      "searchOrders",
      await h.call("GET", `/orders/2026-01-01/orders?createdAfter=${after}&includedData=BUYER`, noPii),
    );
    expectConforms("searchOrders", await h.call("GET", "/orders/2026-01-01/orders", token));
    const orders = page.json().orders as { orderId: string }[];
    for (const o of orders.slice(0, 20)) {
      expectConforms(
        "getOrder",
        await h.call("GET", `/orders/2026-01-01/orders/${o.orderId}?includedData=${all}`, token),
      );
    }
    expectConforms("getOrder", await h.call("GET", "/orders/2026-01-01/orders/111-1111111-1111111", token));
    const seller = data.sellers[0];
    if (!seller) throw new Error("no seller");
    const fbm = Array.from({ length: data.countFor(seller) }, (_, j) => data.orderOf(seller, j)).find(
      (o) => o.fulfilledBy === "MERCHANT" && o.status === "UNSHIPPED",
    );
    if (!fbm) throw new Error("no unshipped FBM order");
    const confirm = (body: unknown) =>
      h.call("POST", `/orders/v0/orders/${fbm.orderId}/shipmentConfirmation`, token, body);
    expectConforms("confirmShipment", await confirm({ marketplaceId: fbm.marketplace.id }));
    expectConforms(
      "confirmShipment",
      await confirm({
        marketplaceId: fbm.marketplace.id,
        packageDetail: {
          packageReferenceId: "1",
          carrierCode: "UPS",
          trackingNumber: "1Z1",
          shipDate: isoSeconds(data.endMs),
          orderItems: fbm.items.map((i) => ({ orderItemId: i.orderItemId, quantity: i.quantity })),
        },
      }),
    );
  });

  it("reports, tokens and application management answer in the models' shapes", async () => {
    const created = await h.call("POST", "/reports/2021-06-30/reports", token, {
      reportType: "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL",
      marketplaceIds: h.running.sandbox.sellers[0]?.marketplaceIds,
    });
    expectConforms("createReport", created);
    expectConforms(
      "createReport",
      await h.call("POST", "/reports/2021-06-30/reports", token, { reportType: "NOPE" }),
    );
    const reportId = created.json().reportId as string;
    expectConforms("getReport", await h.call("GET", `/reports/2021-06-30/reports/${reportId}`, token));
    expectConforms("getReport", await h.call("GET", "/reports/2021-06-30/reports/404", token));
    h.clock.advance(QUEUE_MS + BASE_PROCESSING_MS + 10 * SECOND);
    const done = await h.call("GET", `/reports/2021-06-30/reports/${reportId}`, token);
    expectConforms("getReport", done);
    const documentId = done.json().reportDocumentId as string;
    expectConforms(
      "getReportDocument",
      await h.call("GET", `/reports/2021-06-30/documents/${documentId}`, token),
    );
    expectConforms("getReportDocument", await h.call("GET", "/reports/2021-06-30/documents/unknown", token));

    const rdt = (dataElements: string[], t: string) =>
      h.call("POST", "/tokens/2021-03-01/restrictedDataToken", t, {
        restrictedResources: [{ method: "GET", path: "/orders/v0/orders/{orderId}/address", dataElements }],
      });
    expectConforms("createRestrictedDataToken", await rdt(["shippingAddress"], token));
    expectConforms("createRestrictedDataToken", await rdt(["shippingAddress"], noPii));

    const s = h.running.sandbox;
    const grantless = await h.lwa({
      grant_type: "client_credentials",
      scope: "sellingpartnerapi::client_credential:rotation",
      client_id: s.clientId,
      client_secret: s.clientSecret(),
    });
    const rotate = () =>
      h.call("POST", "/applications/2023-11-30/clientSecret", grantless.body.access_token as string);
    expectConforms("rotateApplicationClientSecret", await rotate());
    expectConforms("rotateApplicationClientSecret", await rotate()); // burst 1: throttled
  });

  it("inventory, finances, pricing and sellers answer in the models' shapes", async () => {
    token = await h.token(0);
    const market = h.running.sandbox.sellers[0]?.marketplaceIds[0] ?? "";
    const inv = (q: string) =>
      h.call("GET", `/fba/inventory/v1/summaries?granularityType=Marketplace&${q}`, token);
    expectConforms(
      "getInventorySummaries",
      await inv(`granularityId=${market}&marketplaceIds=${market}&details=true`),
    );
    expectConforms("getInventorySummaries", await inv(`granularityId=${market}&marketplaceIds=OTHER`));
    const data = h.running.sandbox.context.data;
    const fin = (q: string) => h.call("GET", `/finances/v0/financialEvents?${q}`, token);
    expectConforms(
      "listFinancialEvents",
      await fin(`PostedAfter=${isoSeconds(data.endMs - 90 * 86_400_000)}`),
    );
    expectConforms("listFinancialEvents", await fin(""));
    const asin = data.orderOf(data.sellers[0] as never, 0).items[0]?.product.asin;
    const summary = await h.call(
      "POST",
      "/batches/products/pricing/2022-05-01/items/competitiveSummary",
      token,
      {
        requests: [
          {
            asin,
            marketplaceId: market,
            includedData: ["featuredBuyingOptions", "referencePrices", "lowestPricedOffers"],
            lowestPricedOffersInputs: [{ itemCondition: "New", offerType: "Consumer" }],
            method: "GET",
            uri: "/products/pricing/2022-05-01/items/competitiveSummary",
          },
          { asin: "bad", marketplaceId: market, includedData: [], method: "GET", uri: "/products/pricing" },
        ],
      },
    );
    expectConforms("getCompetitiveSummary", summary);
    expectConforms(
      "getCompetitiveSummary",
      await h.call("POST", "/batches/products/pricing/2022-05-01/items/competitiveSummary", token, {
        requests: [],
      }),
    );
    expectConforms(
      "getMarketplaceParticipations",
      await h.call("GET", "/sellers/v1/marketplaceParticipations", token),
    );
    expectConforms(
      "getMarketplaceParticipations",
      await h.call("GET", "/sellers/v1/marketplaceParticipations", "Atza|x"),
    );
  });

  it("covered every implemented operation, with success and error answers", () => {
    expect([...checked.keys()].sort()).toEqual(Object.keys(OPERATION_MODELS).sort());
    for (const [operationId, statuses] of checked) {
      expect(
        [...statuses].some((s) => s.startsWith("2")),
        operationId,
      ).toBe(true);
      expect(
        [...statuses].some((s) => /^[45]/.test(s)),
        operationId,
      ).toBe(true);
    }
  });
});
