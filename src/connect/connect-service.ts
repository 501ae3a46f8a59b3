import { createHash, randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import { createSellerAccount, type Region } from "../accounts/accounts-repo.js";
import type { AccountProfile } from "../amazon/client.js";
import type { SpApiRegion } from "../amazon/endpoints.js";
import { FEATURE_NAMES, type FeatureName, isFeatureName } from "../amazon/features.js";
import { type LwaClient, refreshTokenSecretName } from "../amazon/lwa.js";
import type { SpApiCaller } from "../amazon/operation-spec.js";
import { getMarketplaceParticipations } from "../amazon/operations/seller-data.js";
import type { AuditSink } from "../audit/audit-sink.js";
import type { FieldCipher } from "../crypto/field-cipher.js";
import type { DB } from "../db/schema.js";
import { putMembership } from "../identity/memberships-repo.js";
import { type Clock, MS } from "../platform/clock.js";
import { AppError, type ErrorCode } from "../platform/errors.js";
import type { SecretsStore } from "../secrets/secrets-store.js";
import {
  consumeConnectState,
  deleteExpiredConnectStates,
  findAccountBySellingPartner,
  findConnectState,
  insertConnectState,
  markAccountRevoked,
  mayConnect,
  readConnection,
  recordAuthorization,
  recordMarketplaces,
} from "./connect-repo.js";

/** Amazon's authorization code lives 5 minutes; the state that must come back with it lives as long. */
export const STATE_TTL_MS = 5 * MS.minute;

/** Seller Central's consent page per region (production); the sandbox passes its own. */
export const SELLER_CENTRAL_CONSENT_URLS: Readonly<Record<SpApiRegion, string>> = {
  na: "https://sellercentral.amazon.com/apps/authorize/consent",
  eu: "https://sellercentral-europe.amazon.com/apps/authorize/consent",
  fe: "https://sellercentral.amazon.co.jp/apps/authorize/consent",
};

const SELLING_PARTNER_ID = /^[A-Za-z0-9]{1,64}$/;
const OAUTH_CODE = /^[A-Za-z0-9._~+/=-]{1,512}$/;

export interface ConnectServiceDeps {
  db: Kysely<DB>;
  fields: Pick<FieldCipher, "seal">;
  secrets: Pick<SecretsStore, "put">;
  lwa: Pick<LwaClient, "exchangeAuthorizationCode" | "invalidate">;
  /** The one SP-API client; its `accounts.profile` should be this service's `profile`. */
  client: SpApiCaller;
  audit: AuditSink;
  clock: Clock;
  applicationId: string;
  /** The region new accounts are created in (the application's region). */
  region: Region;
  /** The consent page: the sandbox's in demo mode, Seller Central's for `region` otherwise. */
  consentUrl: string;
  /** Draft (unpublished) applications, and the sandbox, need `version=beta` on the consent URL. */
  beta: boolean;
  /** Where Amazon sends the seller back; LWA checks the code exchange names the same URI. */
  redirectUri: string;
  /** After an account is connected or re-authorized (the job runner resumes and schedules its sync). */
  onConnected?: (accountId: string) => Promise<void>;
}

/** Who is connecting: the signed-in user, in the session the state is bound to. */
export interface ConnectActor {
  userId: string;
  sessionId: string;
  organisationId: string;
}

export interface CallbackParams {
  state: string;
  selling_partner_id: string;
  spapi_oauth_code: string;
  /** Shown in lists; defaults to the selling partner id. */
  name?: string;
}

export interface Connected {
  accountId: string;
  sellingPartnerId: string;
  reauthorized: boolean;
  features: FeatureName[];
  marketplaces: string[];
}

const hashState = (state: string) => createHash("sha256").update(state, "utf8").digest("hex");

export function normalizeFeatures(requested: readonly string[]): FeatureName[] {
  const unknown = requested.filter((f) => !isFeatureName(f));
  if (requested.length === 0 || unknown.length > 0) {
    throw new AppError("CONNECT_FEATURES_INVALID", undefined, {
      details: { known: FEATURE_NAMES.join(",") },
    });
  }
  // Registry order, without repeats, so stored lists compare equal.
  return FEATURE_NAMES.filter((f) => requested.includes(f));
}

/**
 * The website authorization workflow: `start` issues a single-use state bound to the session and the consent
 * URL; `callback` checks the state, exchanges the code through LWA, seals the refresh token in the secrets
 * store and creates (or re-authorizes) the seller account with the connecting user as owner.
 */
export function createConnectService(deps: ConnectServiceDeps) {
  const { db, clock } = deps;

  async function refuse(
    actor: ConnectActor,
    code: ErrorCode,
    extra?: Record<string, string>,
  ): Promise<never> {
    await deps.audit.record({
      action: "connect.callback",
      actor: `user:${actor.userId}`,
      outcome: "denied",
      target: { organisation: actor.organisationId, session: actor.sessionId, ...extra },
      reason: code,
    });
    throw new AppError(code);
  }

  async function fetchMarketplaces(accountId: string): Promise<string[]> {
    const participations = await getMarketplaceParticipations(deps.client, accountId, {
      actor: "system:connect",
    });
    return [
      ...new Set(participations.filter((p) => p.participation.isParticipating).map((p) => p.marketplace.id)),
    ];
  }

  /**
   * The step after the code exchange, shared by the callback and demo mode: seals the refresh token, creates
   * the account or re-authorizes the organisation's account for the same selling partner, makes the user owner.
   */
  async function storeAuthorization(input: {
    organisationId: string;
    userId: string | null;
    sellingPartnerId: string;
    refreshToken: string;
    features: readonly FeatureName[];
    name?: string;
    actor: string;
  }): Promise<Connected> {
    const now = clock.now();
    const existing = await findAccountBySellingPartner(db, input.organisationId, input.sellingPartnerId);
    const accountId =
      existing?.id ??
      (
        await createSellerAccount(
          db,
          deps.fields,
          {
            name: input.name ?? `Seller ${input.sellingPartnerId}`,
            region: deps.region,
            sellingPartnerId: input.sellingPartnerId,
            organisationId: input.organisationId,
          },
          now,
        )
      ).id;
    await deps.secrets.put(refreshTokenSecretName(accountId), input.refreshToken, {
      accountId,
      actor: input.actor,
    });
    // A token cached from the old authorization must not outlive it.
    deps.lwa.invalidate(accountId);
    await recordAuthorization(db, accountId, { features: input.features }, now);
    if (input.userId !== null) {
      await putMembership(
        db,
        { userId: input.userId, accountId, role: "owner", grantedBy: input.actor },
        now,
      );
    }
    const marketplaces = await fetchMarketplaces(accountId);
    await recordMarketplaces(db, accountId, marketplaces, clock.now());
    await deps.audit.record({
      action: existing ? "connect.reauthorized" : "connect.connected",
      actor: input.actor,
      outcome: "success",
      target: { account: accountId, organisation: input.organisationId, features: input.features.join(",") },
    });
    await deps.onConnected?.(accountId);
    return {
      accountId,
      sellingPartnerId: input.sellingPartnerId,
      reauthorized: existing !== null,
      features: [...input.features],
      marketplaces,
    };
  }

  async function markRevoked(
    accountId: string,
    actor = "system:spapi-client",
    options: { authorizedBefore?: Date } = {},
  ): Promise<boolean> {
    const changed = await markAccountRevoked(db, accountId, clock.now(), options);
    if (changed) {
      deps.lwa.invalidate(accountId);
      await deps.audit.record({
        action: "connect.revoked",
        actor,
        outcome: "success",
        target: { account: accountId },
        reason: "SPAPI_AUTHORIZATION_REVOKED",
      });
    }
    return changed;
  }

  return {
    async start(
      actor: ConnectActor,
      requested: readonly string[],
    ): Promise<{ consentUrl: string; expiresAt: string }> {
      const features = normalizeFeatures(requested);
      if (!(await mayConnect(db, actor.userId, actor.organisationId))) {
        await deps.audit.record({
          action: "connect.start",
          actor: `user:${actor.userId}`,
          outcome: "denied",
          target: { organisation: actor.organisationId },
          reason: "FORBIDDEN",
        });
        throw new AppError("FORBIDDEN");
      }
      const now = clock.now();
      await deleteExpiredConnectStates(db, now);
      const state = randomBytes(32).toString("base64url");
      const expiresAt = new Date(now.getTime() + STATE_TTL_MS).toISOString();
      await insertConnectState(db, {
        state_hash: hashState(state),
        user_id: actor.userId,
        session_id: actor.sessionId,
        organisation_id: actor.organisationId,
        features: JSON.stringify(features),
        created_at: now.toISOString(),
        expires_at: expiresAt,
        used_at: null,
      });
      await deps.audit.record({
        action: "connect.start",
        actor: `user:${actor.userId}`,
        outcome: "success",
        target: { organisation: actor.organisationId, features: features.join(",") },
      });
      const url = new URL(deps.consentUrl);
      url.searchParams.set("application_id", deps.applicationId);
      url.searchParams.set("state", state);
      if (deps.beta) url.searchParams.set("version", "beta");
      return { consentUrl: url.toString(), expiresAt };
    },

    async callback(actor: Omit<ConnectActor, "organisationId">, params: CallbackParams): Promise<Connected> {
      const who = { ...actor, organisationId: "unknown" };
      if (typeof params.state !== "string" || params.state.length === 0 || params.state.length > 128) {
        return refuse(who, "CONNECT_STATE_INVALID");
      }
      const row = await findConnectState(db, hashState(params.state));
      if (!row) return refuse(who, "CONNECT_STATE_INVALID");
      const bound = { ...actor, organisationId: row.organisationId };
      if (row.sessionId !== actor.sessionId || row.userId !== actor.userId) {
        return refuse(bound, "CONNECT_STATE_SESSION_MISMATCH");
      }
      if (row.usedAt !== null) return refuse(bound, "CONNECT_STATE_USED");
      if (clock.now().toISOString() >= row.expiresAt) return refuse(bound, "CONNECT_STATE_EXPIRED");
      if (!(await consumeConnectState(db, row.stateHash, clock.now())))
        return refuse(bound, "CONNECT_STATE_USED");
      if (
        !SELLING_PARTNER_ID.test(params.selling_partner_id ?? "") ||
        !OAUTH_CODE.test(params.spapi_oauth_code ?? "")
      ) {
        await deps.audit.record({
          action: "connect.callback",
          actor: `user:${actor.userId}`,
          outcome: "denied",
          target: { organisation: row.organisationId },
          reason: "VALIDATION_FAILED",
        });
        throw new AppError("VALIDATION_FAILED", "The consent page sent back an unusable seller id or code.");
      }
      // Still allowed? The user may have lost the owner role in the five minutes.
      if (!(await mayConnect(db, actor.userId, row.organisationId))) return refuse(bound, "FORBIDDEN");
      const grant = await deps.lwa.exchangeAuthorizationCode(params.spapi_oauth_code, deps.redirectUri);
      return storeAuthorization({
        organisationId: row.organisationId,
        userId: actor.userId,
        sellingPartnerId: params.selling_partner_id,
        refreshToken: grant.refreshToken,
        features: row.features,
        ...(params.name !== undefined ? { name: params.name } : {}),
        actor: `user:${actor.userId}`,
      });
    },

    storeAuthorization,
    markRevoked,

    /**
     * Runs an SP-API call for the account and, when Amazon says the seller revoked the app, records it before
     * the error goes on: the account stops being called and retention takes it from there.
     */
    async guard<T>(accountId: string, call: () => Promise<T>): Promise<T> {
      const startedAt = clock.now();
      try {
        return await call();
      } catch (err) {
        if (!(err instanceof AppError && err.code === "SPAPI_AUTHORIZATION_REVOKED")) throw err;
        if (await markRevoked(accountId, undefined, { authorizedBefore: startedAt })) throw err;
        // A reconnect that landed while the call ran is not what Amazon refused: the account stays connected,
        // and the caller (a job) retries with the new authorization instead of pausing the account.
        const now = await readConnection(db, accountId);
        if (
          now?.status === "active" &&
          now.authorizedAt !== null &&
          now.authorizedAt >= startedAt.toISOString()
        )
          throw new AppError("SPAPI_REAUTHORIZED", undefined, { cause: err });
        throw err;
      }
    },

    /** `accounts.profile` for the SP-API client: region and enabled features from the account row. */
    async profile(accountId: string): Promise<AccountProfile> {
      const info = await readConnection(db, accountId);
      if (!info || info.status === "closed") throw new AppError("ACCOUNT_NOT_FOUND");
      if (info.status === "authorization_revoked") throw new AppError("SPAPI_AUTHORIZATION_REVOKED");
      const region = info.region as SpApiRegion;
      return { region, features: info.features };
    },

    readConnection: (accountId: string) => readConnection(db, accountId),
  };
}

export type ConnectService = ReturnType<typeof createConnectService>;
