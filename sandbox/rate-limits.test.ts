import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { SECOND } from "./clock.js";
import { OPERATION_MODELS, type Operation, parseUsagePlan, RateLimiter, USAGE_PLANS } from "./rate-limits.js";
import { type SandboxHarness, startHarness } from "./test-harness.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const modelsDir = process.env.SPAPI_MODELS_DIR ?? path.resolve(repoRoot, "../shared/spapi-models/models");
// CI always has the models beside the clone: there a missing directory is a failure, never a skip.
if (process.env.CI && !existsSync(modelsDir)) {
  throw new Error(`the SP-API models are missing at ${modelsDir} (set SPAPI_MODELS_DIR)`);
}

describe("usage plans", () => {
  it.skipIf(!existsSync(modelsDir))("match the rate and burst printed in every operation's model", () => {
    for (const [operation, file] of Object.entries(OPERATION_MODELS)) {
      const model = JSON.parse(readFileSync(path.join(modelsDir, file), "utf8")) as {
        paths: Record<string, Record<string, { operationId?: string; description?: string }>>;
      };
      const op = Object.values(model.paths)
        .flatMap((item) => Object.values(item))
        .find((o) => o.operationId === operation);
      expect(op, operation).toBeDefined();
      expect(parseUsagePlan(op?.description ?? ""), operation).toEqual(USAGE_PLANS[operation as Operation]);
    }
  });

  it("never lets more than burst + rate x elapsed requests through", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.01, max: 5, noNaN: true }),
        fc.integer({ min: 1, max: 30 }),
        fc.array(fc.integer({ min: 0, max: 5_000 }), { minLength: 1, maxLength: 200 }),
        (rate, burst, gaps) => {
          const limiter = new RateLimiter({ searchOrders: { rate, burst } });
          let now = 0;
          let allowed = 0;
          for (const gap of gaps) {
            now += gap;
            if (limiter.take("A1", "app", "searchOrders", now).allowed) allowed++;
          }
          expect(allowed).toBeLessThanOrEqual(burst + Math.floor((rate * now) / 1000) + 1e-9);
        },
      ),
    );
  });
});

describe("throttling over HTTP", () => {
  let h: SandboxHarness;
  afterEach(async () => {
    await h.close();
  });

  const search = (token: string) =>
    h.call("GET", "/orders/2026-01-01/orders?createdAfter=2026-05-01T00:00:00Z&maxResultsPerPage=1", token);

  it("answers 429 with x-amzn-RateLimit-Limit once the burst is spent, per seller, and refills in Amazon time", async () => {
    h = await startHarness({ orders: 200 });
    const token = await h.token(0);
    for (let i = 0; i < 20; i++) {
      const ok = await search(token);
      expect(ok.status).toBe(200);
      expect(ok.headers.get("x-amzn-ratelimit-limit")).toBe("0.0056");
    }
    const throttled = await search(token);
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get("x-amzn-ratelimit-limit")).toBe("0.0056");
    expect(throttled.json()).toEqual({
      errors: [
        {
          code: "QuotaExceeded",
          message: "You exceeded your quota for the requested resource.",
          details: "",
        },
      ],
    });
    // Another seller has its own bucket; another operation of the same seller too.
    expect((await search(await h.token(1))).status).toBe(200);
    expect((await h.call("GET", "/orders/2026-01-01/orders/111-0000000-0000000", token)).status).toBe(404);
    // One token comes back after 1 / 0.0056 s.
    h.clock.advance(Math.ceil(1000 / 0.0056));
    expect((await search(token)).status).toBe(200);
    expect((await search(token)).status).toBe(429);
  });

  it("refills 60 times faster under a time scale of 60", async () => {
    h = await startHarness({ orders: 200, timeScale: 60 });
    const token = await h.token(0);
    const participations = () => h.call("GET", "/sellers/v1/marketplaceParticipations", token);
    for (let i = 0; i < 15; i++) expect((await participations()).status).toBe(200);
    expect((await participations()).status).toBe(429);
    // 0.016 req/s: one token per 62.5 Amazon seconds, i.e. about 1.04 real seconds.
    h.clock.advance(1.05 * SECOND);
    expect((await participations()).status).toBe(200);
    expect((await participations()).status).toBe(429);
  });
});
