import { isIP } from "node:net";
import { AppError } from "../platform/errors.js";

export const SPAPI_REGIONS = ["na", "eu", "fe"] as const;
export type SpApiRegion = (typeof SPAPI_REGIONS)[number];

/** Amazon's production SP-API hosts; LWA has one token endpoint for every region. */
const REGION_ENDPOINTS: Record<SpApiRegion, string> = {
  na: "https://sellingpartnerapi-na.amazon.com",
  eu: "https://sellingpartnerapi-eu.amazon.com",
  fe: "https://sellingpartnerapi-fe.amazon.com",
};
export const LWA_TOKEN_URL = "https://api.amazon.com/auth/o2/token";

export interface SpApiEndpoints {
  /** Base URL of the SP-API (no trailing slash). */
  spapi: string;
  lwaTokenUrl: string;
}

export interface EndpointOverrides {
  /** SELLER_PILOT_SPAPI_ENDPOINT: replaces every region's endpoint (the sandbox). */
  endpoint: string | null;
  /** SELLER_PILOT_LWA_TOKEN_URL */
  lwaTokenUrl: string | null;
}

export function isRegion(value: string): value is SpApiRegion {
  return (SPAPI_REGIONS as readonly string[]).includes(value);
}

function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "");
  if (host === "localhost") return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  return host === "::1";
}

/**
 * Outbound URLs to Amazon (SP-API, LWA, report documents) must be https; plain http is accepted only for a
 * loopback host, which is where the sandbox listens. Anything else is refused before a socket opens.
 */
export function checkOutboundUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new AppError("SPAPI_ENDPOINT_INSECURE", "An SP-API or LWA endpoint is not a valid URL.");
  }
  if (url.username || url.password) {
    throw new AppError("SPAPI_ENDPOINT_INSECURE", "Endpoints must not carry credentials.");
  }
  if (url.protocol === "https:") return url;
  if (url.protocol === "http:" && isLoopbackHost(url.hostname)) return url;
  throw new AppError("SPAPI_ENDPOINT_INSECURE");
}

/** The endpoints a seller account's region uses, with the configured overrides applied and checked. */
export function resolveEndpoints(region: SpApiRegion, overrides: EndpointOverrides): SpApiEndpoints {
  const spapi = checkOutboundUrl(overrides.endpoint ?? REGION_ENDPOINTS[region]);
  const lwa = checkOutboundUrl(overrides.lwaTokenUrl ?? LWA_TOKEN_URL);
  return { spapi: spapi.toString().replace(/\/+$/, ""), lwaTokenUrl: lwa.toString() };
}
