// Typed calls for connecting seller accounts: the feature registry, starting Amazon's authorization workflow,
// and the account list with each account's connection status, enabled features and required SP-API roles.
import { arrayOf, isRecord, requestJson, stringArray, type Validator } from "./api";

const withSignal = (signal?: AbortSignal) => (signal ? { signal } : {});

export interface Feature {
  name: string;
  label: string;
  /** SP-API roles (as Seller Central names them) the seller grants when this feature is chosen. */
  roles: string[];
}

const featureValidator: Validator<Feature> = (value) => {
  if (!isRecord(value) || typeof value.name !== "string" || typeof value.label !== "string") return null;
  const roles = stringArray(value.roles);
  return roles ? { name: value.name, label: value.label, roles } : null;
};

export interface ConnectStart {
  /** Amazon's consent page (the sandbox's in demo mode), with a single-use state. */
  consentUrl: string;
  expiresAt: string;
}

const startValidator: Validator<ConnectStart> = (value) => {
  if (!isRecord(value) || typeof value.consentUrl !== "string" || value.consentUrl === "") return null;
  return {
    consentUrl: value.consentUrl,
    expiresAt: typeof value.expiresAt === "string" ? value.expiresAt : "",
  };
};

export type AccountStatus = "active" | "authorization_revoked" | "closed";

export interface ConnectedAccount {
  id: string;
  name: string;
  region: string;
  /** Unknown statuses from a newer server are kept as text rather than rejected. */
  status: AccountStatus | string;
  role: string;
  features: string[];
  requiredRoles: string[];
  permissions: string[];
}

const accountValidator: Validator<ConnectedAccount> = (value) => {
  if (!isRecord(value) || typeof value.id !== "string" || typeof value.role !== "string") return null;
  return {
    id: value.id,
    name: typeof value.name === "string" ? value.name : value.id,
    region: typeof value.region === "string" ? value.region : "",
    status: typeof value.status === "string" ? value.status : "",
    role: value.role,
    features: stringArray(value.features) ?? [],
    requiredRoles: stringArray(value.requiredRoles) ?? [],
    permissions: stringArray(value.permissions) ?? [],
  };
};

export const connect = {
  features: (signal?: AbortSignal) =>
    requestJson(
      "GET",
      "/api/features",
      (value) => (isRecord(value) ? arrayOf(value.features, featureValidator) : null),
      withSignal(signal),
    ),
  /** Resolves with the consent URL to send the browser to; the state in it is bound to this session. */
  start: (features: readonly string[]) =>
    requestJson("POST", "/api/connect/start", startValidator, { body: { features } }),
  accounts: (signal?: AbortSignal) =>
    requestJson(
      "GET",
      "/api/accounts",
      (value) => (isRecord(value) ? arrayOf(value.accounts, accountValidator) : null),
      withSignal(signal),
    ),
};

/** The union of the roles the chosen features need, sorted: exactly what Amazon will ask the seller for. */
export function rolesFor(features: readonly Feature[], chosen: readonly string[]): string[] {
  const roles = new Set<string>();
  for (const feature of features)
    if (chosen.includes(feature.name)) for (const r of feature.roles) roles.add(r);
  return [...roles].sort();
}

/** Features whose roles give access to buyers' personal data (names, shipping addresses). */
export const PII_FEATURES: ReadonlySet<string> = new Set(["fbm_shipping"]);
