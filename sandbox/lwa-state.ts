import { createHash, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import { DAY, HOUR, MINUTE } from "./clock.js";

export interface SellerAuth {
  sellingPartnerId: string;
  /** Whether the application holds the restricted role for buyer and recipient data for this seller. */
  piiRole: boolean;
}

interface RefreshGrant {
  sellingPartnerId: string;
  valid: boolean;
}

export type AccessGrant =
  | { kind: "seller"; sellingPartnerId: string; expiresMs: number }
  | { kind: "grantless"; scope: string; expiresMs: number };

export interface RestrictedGrant {
  sellingPartnerId: string;
  expiresMs: number;
  resources: { method: string; path: string; dataElements: string[] }[];
}

export const ACCESS_TOKEN_SECONDS = 3600;
export const CODE_LIFETIME_MS = 5 * MINUTE;
export const OLD_SECRET_GRACE_MS = 7 * DAY;
export const ROTATION_SCOPE = "sellingpartnerapi::client_credential:rotation";
export const GRANTLESS_SCOPES = [ROTATION_SCOPE, "sellingpartnerapi::notifications"];

const token = (prefix: string) => `${prefix}${randomBytes(48).toString("base64url")}`;
const digest = (value: string) => createHash("sha256").update(value).digest();

/** The application's credentials and every grant LWA has handed out. Tokens are random (node:crypto). */
export class LwaState {
  readonly applicationId: string;
  readonly clientId: string;
  readonly redirectUris: readonly string[];
  readonly sellers = new Map<string, SellerAuth>();
  readonly notifications: unknown[] = [];
  #secrets: { value: string; expiresMs: number | undefined }[];
  readonly #refresh = new Map<string, RefreshGrant>();
  readonly #access = new Map<string, AccessGrant>();
  readonly #codes = new Map<string, { sellingPartnerId: string; expiresMs: number; redirectUri: string }>();
  readonly #rdts = new Map<string, RestrictedGrant>();

  constructor(opts: {
    applicationId?: string;
    clientId?: string;
    clientSecret?: string;
    redirectUris: string[];
  }) {
    this.applicationId = opts.applicationId ?? `amzn1.sp.solution.${randomUUID()}`;
    this.clientId = opts.clientId ?? `amzn1.application-oa2-client.${randomBytes(16).toString("hex")}`;
    this.#secrets = [{ value: opts.clientSecret ?? token("amzn1.oa2-cs.v1."), expiresMs: undefined }];
    this.redirectUris = opts.redirectUris;
  }

  get clientSecret(): string {
    return (this.#secrets[this.#secrets.length - 1] as { value: string }).value;
  }

  clientMatches(clientId: string, clientSecret: string, nowMs: number): boolean {
    const idOk = timingSafeEqual(digest(clientId), digest(this.clientId));
    const secretOk = this.#secrets.some(
      (s) =>
        (s.expiresMs === undefined || nowMs < s.expiresMs) &&
        timingSafeEqual(digest(clientSecret), digest(s.value)),
    );
    return idOk && secretOk;
  }

  /** New secret now; the old one keeps working for seven days, as Amazon does. */
  rotateSecret(nowMs: number): { newSecret: string; oldExpiresMs: number } {
    const oldExpiresMs = nowMs + OLD_SECRET_GRACE_MS;
    for (const s of this.#secrets) s.expiresMs = Math.min(s.expiresMs ?? oldExpiresMs, oldExpiresMs);
    const newSecret = token("amzn1.oa2-cs.v1.");
    this.#secrets.push({ value: newSecret, expiresMs: undefined });
    return { newSecret, oldExpiresMs };
  }

  /** `refreshToken` fixes the seller's first refresh token (a credential seed); random otherwise. */
  addSeller(seller: SellerAuth, refreshToken?: string): string {
    this.sellers.set(seller.sellingPartnerId, seller);
    return this.issueRefreshToken(seller.sellingPartnerId, refreshToken);
  }

  issueRefreshToken(sellingPartnerId: string, fixed?: string): string {
    const value = fixed ?? token("Atzr|");
    this.#refresh.set(value, { sellingPartnerId, valid: true });
    return value;
  }

  refreshGrant(refreshToken: string): RefreshGrant | undefined {
    const grant = this.#refresh.get(refreshToken);
    return grant?.valid ? grant : undefined;
  }

  /** The seller removed the app: every refresh and access token of theirs stops working. */
  revoke(sellingPartnerId: string): boolean {
    if (!this.sellers.has(sellingPartnerId)) return false;
    for (const grant of this.#refresh.values())
      if (grant.sellingPartnerId === sellingPartnerId) grant.valid = false;
    for (const [key, grant] of this.#access) {
      if (grant.kind === "seller" && grant.sellingPartnerId === sellingPartnerId) this.#access.delete(key);
    }
    for (const [key, grant] of this.#rdts)
      if (grant.sellingPartnerId === sellingPartnerId) this.#rdts.delete(key);
    return true;
  }

  issueCode(sellingPartnerId: string, redirectUri: string, nowMs: number): string {
    const code = randomBytes(15).toString("base64url");
    this.#codes.set(code, { sellingPartnerId, redirectUri, expiresMs: nowMs + CODE_LIFETIME_MS });
    return code;
  }

  /** Codes are single use: the first attempt consumes it, valid or not. */
  consumeCode(code: string, nowMs: number) {
    const grant = this.#codes.get(code);
    this.#codes.delete(code);
    return grant && nowMs < grant.expiresMs ? grant : undefined;
  }

  issueAccessToken(grant: AccessGrant): string {
    if (this.#access.size > 50_000) this.#sweep(grant.expiresMs - ACCESS_TOKEN_SECONDS * 1000);
    const value = token("Atza|");
    this.#access.set(value, grant);
    return value;
  }

  accessGrant(accessToken: string): AccessGrant | undefined {
    return this.#access.get(accessToken);
  }

  /** Fault: every access token handed out so far is now expired. */
  expireAccessTokens(nowMs: number): void {
    for (const grant of this.#access.values()) grant.expiresMs = Math.min(grant.expiresMs, nowMs);
    for (const grant of this.#rdts.values()) grant.expiresMs = Math.min(grant.expiresMs, nowMs);
  }

  issueRestrictedToken(grant: RestrictedGrant): string {
    const value = token("Atz.sprdt|");
    this.#rdts.set(value, grant);
    return value;
  }

  restrictedGrant(value: string): RestrictedGrant | undefined {
    return this.#rdts.get(value);
  }

  #sweep(nowMs: number): void {
    for (const [key, grant] of this.#access) if (grant.expiresMs <= nowMs - HOUR) this.#access.delete(key);
    for (const [key, grant] of this.#rdts) if (grant.expiresMs <= nowMs - HOUR) this.#rdts.delete(key);
  }
}
