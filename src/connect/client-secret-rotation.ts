import { z } from "zod";
import type { LwaClient } from "../amazon/lwa.js";
import type { SpApiCaller } from "../amazon/operation-spec.js";
import { rotateApplicationClientSecret } from "../amazon/operations/application.js";
import type { AuditSink } from "../audit/audit-sink.js";
import type { Clock } from "../platform/clock.js";
import { AppError } from "../platform/errors.js";
import {
  CLIENT_SECRET_NAME,
  type ClientSecretAge,
  clientSecretAge,
  ROTATION_WARNING_DAYS,
} from "../secrets/client-secret-age.js";
import { INSTANCE_ACCOUNT, type SecretsStore } from "../secrets/secrets-store.js";

const ACTOR = "system:client-secret-rotation";

/** Amazon's APPLICATION_OAUTH_CLIENT_NEW_SECRET notification, bounded; anything else about it is ignored. */
const notificationSchema = z.object({
  notificationType: z.literal("APPLICATION_OAUTH_CLIENT_NEW_SECRET"),
  payload: z.object({
    applicationOAuthClientNewSecret: z.object({
      clientId: z.string().min(1).max(200),
      newClientSecret: z.string().min(16).max(512),
      newClientSecretExpiryTime: z.string().max(40),
      oldClientSecretExpiryTime: z.string().max(40),
    }),
  }),
  notificationMetadata: z.object({
    applicationId: z.string().min(1).max(200),
    notificationId: z.string().min(1).max(200),
  }),
});

export interface ClientSecretRotationDeps {
  client: SpApiCaller;
  lwa: Pick<LwaClient, "verifyClientSecret">;
  secrets: Pick<SecretsStore, "metadata" | "stage" | "promote" | "retirePrevious">;
  audit: AuditSink;
  clock: Clock;
  clientId: string;
  applicationId: string;
}

/**
 * Amazon's 180-day client secret rule, end to end: from day 150 a scheduled run asks Amazon for a new secret;
 * Amazon sends it only in a notification, which an operator or an ingestion endpoint feeds to `accept`; the new
 * secret is verified against LWA before it replaces the old one through the secrets store's staging.
 */
export function createClientSecretRotation(deps: ClientSecretRotationDeps) {
  async function age(): Promise<ClientSecretAge> {
    return clientSecretAge(await deps.secrets.metadata(CLIENT_SECRET_NAME), deps.clock.now());
  }

  return {
    age,

    /** Asks Amazon for a new secret when the current one is 150 days old (or `force`); false when not due. */
    async requestIfDue(
      opts: { force?: boolean } = {},
    ): Promise<{ requested: boolean; age: ClientSecretAge }> {
      const current = await age();
      const due = current.status === "missing" ? false : (current.ageDays ?? 0) >= ROTATION_WARNING_DAYS;
      if (!due && !opts.force) return { requested: false, age: current };
      await rotateApplicationClientSecret(deps.client, { actor: ACTOR });
      await deps.audit.record({
        action: "client_secret.rotation_requested",
        actor: ACTOR,
        outcome: "success",
        target: { secret: CLIENT_SECRET_NAME, ageDays: String(current.ageDays ?? "") },
      });
      return { requested: true, age: current };
    },

    /**
     * Takes the notification Amazon sent (as parsed JSON): checks it names this application and client, verifies
     * the new secret with LWA, then stages, promotes it and retires the old one. The secret never leaves here.
     */
    async accept(notification: unknown, actor: string): Promise<{ version: number; oldExpiresAt: string }> {
      const parsed = notificationSchema.safeParse(notification);
      const body = parsed.success ? parsed.data : null;
      const secret = body?.payload.applicationOAuthClientNewSecret;
      if (
        !body ||
        !secret ||
        secret.clientId !== deps.clientId ||
        body.notificationMetadata.applicationId !== deps.applicationId
      ) {
        await deps.audit.record({
          action: "client_secret.accept",
          actor,
          outcome: "denied",
          target: { secret: CLIENT_SECRET_NAME },
          reason: "CLIENT_SECRET_NOTIFICATION_INVALID",
        });
        throw new AppError("CLIENT_SECRET_NOTIFICATION_INVALID");
      }
      try {
        await deps.lwa.verifyClientSecret(secret.newClientSecret);
      } catch (err) {
        const reason = err instanceof AppError ? err.code : "INTERNAL";
        await deps.audit.record({
          action: "client_secret.accept",
          actor,
          outcome: "failure",
          target: { secret: CLIENT_SECRET_NAME, notification: body.notificationMetadata.notificationId },
          reason,
        });
        throw new AppError("CLIENT_SECRET_REJECTED", undefined, { cause: err });
      }
      await deps.secrets.stage(CLIENT_SECRET_NAME, secret.newClientSecret, {
        accountId: INSTANCE_ACCOUNT,
        actor,
      });
      const { current } = await deps.secrets.promote(CLIENT_SECRET_NAME, { actor });
      await deps.secrets.retirePrevious(CLIENT_SECRET_NAME, { actor });
      await deps.audit.record({
        action: "client_secret.accept",
        actor,
        outcome: "success",
        target: {
          secret: CLIENT_SECRET_NAME,
          version: String(current),
          notification: body.notificationMetadata.notificationId,
        },
      });
      return { version: current, oldExpiresAt: secret.oldClientSecretExpiryTime };
    },
  };
}

export type ClientSecretRotation = ReturnType<typeof createClientSecretRotation>;
