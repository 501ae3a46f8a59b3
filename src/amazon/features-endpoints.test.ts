import { describe, expect, it } from "vitest";
import { AppError } from "../platform/errors.js";
import { checkOutboundUrl, resolveEndpoints } from "./endpoints.js";
import { assertAllowed, FEATURE_NAMES, FEATURES, refusalReason, requiredRoles } from "./features.js";
import { SPAPI_OPERATIONS } from "./usage-plans.js";

describe("feature registry", () => {
  it("gives buyer and recipient datasets to FBM shipping alone", () => {
    for (const name of FEATURE_NAMES) {
      const pii = FEATURES[name].includedData.filter((d) => d === "BUYER" || d === "RECIPIENT");
      expect(pii.length > 0, name).toBe(name === "fbm_shipping");
    }
    expect(refusalReason(["orders_sales"], { operation: "getOrder", includedData: ["BUYER"] })).toMatch(
      /BUYER/,
    );
    expect(
      refusalReason(["orders_sales", "fbm_shipping"], { operation: "getOrder", includedData: ["BUYER"] }),
    ).toBe(null);
    // So do the restricted data elements a Restricted Data Token would cover.
    expect(
      refusalReason(["orders_sales"], { operation: "getOrder", dataElements: ["shippingAddress"] }),
    ).toMatch(/shippingAddress/);
    expect(
      refusalReason(["fbm_shipping"], { operation: "getOrder", dataElements: ["shippingAddress"] }),
    ).toBeNull();
    // A dataset must come from a feature that also owns the operation.
    expect(
      refusalReason(["fbm_shipping"], { operation: "searchOrders", includedData: ["PROCEEDS"] }),
    ).toMatch(/PROCEEDS/);
  });

  it("refuses operations no enabled feature declares, with SPAPI_FEATURE_DISABLED", () => {
    expect(() => assertAllowed([], { operation: "listFinancialEvents" })).toThrow(AppError);
    try {
      assertAllowed(["inventory"], { operation: "searchOrders" });
    } catch (err) {
      expect((err as AppError).code).toBe("SPAPI_FEATURE_DISABLED");
    }
    expect(() => assertAllowed(["finances"], { operation: "listFinancialEvents" })).not.toThrow();
    // Participations are needed to connect any account; secret rotation is application-level.
    expect(refusalReason([], { operation: "getMarketplaceParticipations" })).toBeNull();
    expect(refusalReason([], { operation: "rotateApplicationClientSecret" })).toBeNull();
  });

  it("covers every operation the client knows, and lists the roles the enabled features need", () => {
    const covered = new Set<string>([
      ...FEATURE_NAMES.flatMap((n) => FEATURES[n].operations),
      "getMarketplaceParticipations",
      "rotateApplicationClientSecret",
    ]);
    expect([...covered].sort()).toEqual([...SPAPI_OPERATIONS].sort());
    expect(requiredRoles(["pricing", "finances"])).toEqual(["Finance and Accounting", "Pricing"]);
    expect(requiredRoles(["orders_sales", "fbm_shipping"])).toEqual([
      "Direct-to-Consumer Shipping (restricted)",
      "Inventory and Order Tracking",
    ]);
    expect(requiredRoles([])).toEqual([]);
  });
});

describe("endpoints", () => {
  it("maps regions to Amazon's hosts and applies overrides", () => {
    expect(resolveEndpoints("eu", { endpoint: null, lwaTokenUrl: null })).toEqual({
      spapi: "https://sellingpartnerapi-eu.amazon.com",
      lwaTokenUrl: "https://api.amazon.com/auth/o2/token",
    });
    expect(
      resolveEndpoints("na", {
        endpoint: "http://127.0.0.1:9000/",
        lwaTokenUrl: "http://localhost:9000/auth/o2/token",
      }),
    ).toEqual({ spapi: "http://127.0.0.1:9000", lwaTokenUrl: "http://localhost:9000/auth/o2/token" });
  });

  it("allows plain http only on loopback and never credentials in the URL", () => {
    for (const bad of [
      "http://example.com",
      "http://192.168.1.5:80",
      "https://u:p@example.com",
      "file:///etc",
      "x",
    ]) {
      expect(() => checkOutboundUrl(bad), bad).toThrow(/endpoint|URL|credentials/i);
    }
    expect(checkOutboundUrl("http://[::1]:8080/").hostname).toBe("[::1]");
    expect(checkOutboundUrl("https://sellingpartnerapi-fe.amazon.com").protocol).toBe("https:");
  });
});
