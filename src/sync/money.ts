/**
 * Money as integer minor units plus an ISO 4217 currency. Amazon sends amounts as decimal strings; they are
 * parsed digit by digit, never through a float, so "0.1" + "0.2" is exactly 30 cents.
 */
export interface Money {
  /** Integer minor units (cents, yen, fils); may be negative (refunds, discounts). */
  minor: number;
  currency: string;
}

/** ISO 4217 currencies whose minor unit is not 2 digits; every other code has 2. */
const EXPONENTS: Readonly<Record<string, number>> = {
  BIF: 0,
  CLP: 0,
  DJF: 0,
  GNF: 0,
  ISK: 0,
  JPY: 0,
  KMF: 0,
  KRW: 0,
  PYG: 0,
  RWF: 0,
  UGX: 0,
  UYI: 0,
  VND: 0,
  VUV: 0,
  XAF: 0,
  XOF: 0,
  XPF: 0,
  BHD: 3,
  IQD: 3,
  JOD: 3,
  KWD: 3,
  LYD: 3,
  OMR: 3,
  TND: 3,
  CLF: 4,
  UYW: 4,
};

const CURRENCY = /^[A-Z]{3}$/;
// Plain decimal notation only: no exponent, no thousands separators, no leading "." or trailing ".".
const DECIMAL = /^([+-]?)(\d{1,20})(?:\.(\d{1,20}))?$/;

export function isCurrencyCode(value: string): boolean {
  return CURRENCY.test(value);
}

/** Digits after the decimal point for the currency; null when the code is not a 3-letter code. */
export function currencyExponent(currency: string): number | null {
  if (!CURRENCY.test(currency)) return null;
  return EXPONENTS[currency] ?? 2;
}

/**
 * "12.34" USD -> 1234; "1500" JPY -> 1500; "12.340" -> 1234. Returns null for anything that is not a plain
 * decimal ("1e3", "12,34", " 1"), has more significant fraction digits than the currency allows
 * ("12.345" USD), or does not fit a safe integer.
 */
export function parseMinorUnits(amount: string, currency: string): number | null {
  const exponent = currencyExponent(currency);
  if (exponent === null) return null;
  const match = DECIMAL.exec(amount);
  if (!match) return null;
  const [, sign = "", whole = "", fraction = ""] = match;
  const significant = fraction.replace(/0+$/, "");
  if (significant.length > exponent) return null;
  const digits = `${whole}${significant.padEnd(exponent, "0")}`;
  const value = BigInt(digits);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) return null;
  const minor = Number(value);
  return sign === "-" && minor !== 0 ? -minor : minor;
}

export function parseMoney(amount: string, currency: string): Money | null {
  const minor = parseMinorUnits(amount, currency);
  return minor === null ? null : { minor, currency };
}

/** The canonical decimal string: 1234 USD -> "12.34", -5 USD -> "-0.05", 1500 JPY -> "1500". */
export function formatMinorUnits(minor: number, currency: string): string {
  const exponent = currencyExponent(currency);
  if (exponent === null) throw new RangeError("not an ISO 4217 currency code");
  if (!Number.isSafeInteger(minor)) throw new RangeError("minor units must be a safe integer");
  const sign = minor < 0 ? "-" : "";
  const digits = Math.abs(minor).toString();
  if (exponent === 0) return `${sign}${digits}`;
  const padded = digits.padStart(exponent + 1, "0");
  return `${sign}${padded.slice(0, -exponent)}.${padded.slice(-exponent)}`;
}
