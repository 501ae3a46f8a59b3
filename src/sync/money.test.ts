import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { currencyExponent, formatMinorUnits, parseMinorUnits, parseMoney } from "./money.js";

describe("money", () => {
  it("parses decimal strings into integer minor units per currency exponent", () => {
    expect(parseMinorUnits("12.34", "USD")).toBe(1234);
    expect(parseMinorUnits("0.5", "EUR")).toBe(50);
    expect(parseMinorUnits("-0.05", "GBP")).toBe(-5);
    expect(parseMinorUnits("+3", "USD")).toBe(300);
    expect(parseMinorUnits("12.340", "USD")).toBe(1234);
    expect(parseMinorUnits("1500", "JPY")).toBe(1500);
    expect(parseMinorUnits("1500.00", "JPY")).toBe(1500);
    expect(parseMinorUnits("1.234", "KWD")).toBe(1234);
    expect(parseMinorUnits("-0.00", "USD")).toBe(0);
    expect(parseMoney("0.1", "USD")).toEqual({ minor: 10, currency: "USD" });
    expect(currencyExponent("JPY")).toBe(0);
    expect(currencyExponent("BHD")).toBe(3);
    expect(currencyExponent("CAD")).toBe(2);
  });

  it("refuses anything that is not a plain decimal in range for the currency", () => {
    for (const bad of [
      "1e3",
      "1E3",
      "12,34",
      " 12",
      "12 ",
      ".5",
      "5.",
      "",
      "-",
      "0x10",
      "1_000",
      "NaN",
      "Infinity",
      "١٢",
    ]) {
      expect(parseMinorUnits(bad, "USD"), bad).toBeNull();
    }
    expect(parseMinorUnits("12.345", "USD")).toBeNull();
    expect(parseMinorUnits("1.5", "JPY")).toBeNull();
    expect(parseMinorUnits("99999999999999999999", "USD")).toBeNull();
    expect(parseMinorUnits("1.00", "usd")).toBeNull();
    expect(parseMinorUnits("1.00", "US")).toBeNull();
  });

  it("formats canonically", () => {
    expect(formatMinorUnits(1234, "USD")).toBe("12.34");
    expect(formatMinorUnits(-5, "USD")).toBe("-0.05");
    expect(formatMinorUnits(7, "KWD")).toBe("0.007");
    expect(formatMinorUnits(1500, "JPY")).toBe("1500");
    expect(() => formatMinorUnits(0.5, "USD")).toThrow(RangeError);
  });

  const currencies = fc.constantFrom("USD", "EUR", "JPY", "KWD", "CLF", "GBP", "XYZ");
  it("round-trips: parse(format(n)) = n for every safe integer", () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), fc.boolean(), currencies, (n, negative, currency) => {
        const minor = negative ? -n : n;
        expect(parseMinorUnits(formatMinorUnits(minor, currency), currency)).toBe(minor === 0 ? 0 : minor);
      }),
    );
  });

  it("round-trips: format(parse(s)) is the canonical form of any accepted decimal", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^-?\d{1,12}(\.\d{1,5})?$/), currencies, (text, currency) => {
        const minor = parseMinorUnits(text, currency);
        if (minor === null) return;
        const canonical = formatMinorUnits(minor, currency);
        expect(parseMinorUnits(canonical, currency)).toBe(minor);
        // Same value: compare as exact decimals via BigInt scaled to 5 places.
        const scale = (s: string) => {
          const [w = "", f = ""] = s.replace("-", "").split(".");
          const v = BigInt(`${w}${f.padEnd(5, "0")}`);
          return s.startsWith("-") ? -v : v;
        };
        expect(scale(canonical)).toBe(scale(text));
      }),
    );
  });

  it("never throws and never returns a float for arbitrary input", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (amount, currency) => {
        const minor = parseMinorUnits(amount, currency);
        expect(minor === null || Number.isSafeInteger(minor)).toBe(true);
      }),
    );
  });
});
