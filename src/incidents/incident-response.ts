import type { Kysely } from "kysely";
import type { AuditSink } from "../audit/audit-sink.js";
import type { Config } from "../config/config.js";
import type { DB } from "../db/schema.js";
import type { Clock } from "../platform/clock.js";
import type { Logger } from "../platform/logger.js";
import { type AlertChannel, emailChannel, webhookChannel } from "./incident-alerts.js";
import { createDetector, type DetectionRun } from "./incident-detector.js";
import type { RuleConfig, ThrottleCounter } from "./incident-rules.js";
import { createIncidentService, type IncidentService } from "./incident-service.js";

/**
 * The sync engine's 429 counters, per account and stream. Only the counts are read (no cursor, no Amazon
 * data), so this is bookkeeping, not a read of Amazon Information past the access layer.
 */
export async function syncThrottleCounters(db: Kysely<DB>): Promise<ThrottleCounter[]> {
  const rows = await db
    .selectFrom("sync_checkpoints")
    .select(["account_id", "stream", "throttled_count"])
    .orderBy("account_id")
    .orderBy("stream")
    .execute();
  return rows.map((r) => ({
    accountId: r.account_id,
    stream: r.stream,
    throttledCount: Number(r.throttled_count),
  }));
}

/** The alert channels the configuration turns on (none when nothing is configured). */
export function alertChannels(config: Config["incidents"], clock: Clock): AlertChannel[] {
  const channels: AlertChannel[] = [];
  if (config.email) channels.push(emailChannel(config.email, clock));
  if (config.webhook) channels.push(webhookChannel(config.webhook, clock));
  return channels;
}

export interface IncidentResponseDeps {
  db: Kysely<DB>;
  clock: Clock;
  audit: AuditSink;
  config: Pick<Config, "incidents">;
  logger?: Pick<Logger, "warn" | "error">;
  /** The instance's audit signing key(s) (SPKI base64), for the chain verification rule. */
  trustedPublicKeys?: readonly string[];
  /** Default: the sync checkpoints' throttle counters (syncThrottleCounters). */
  throttleCounters?: () => Promise<readonly ThrottleCounter[]>;
  rules?: Partial<Omit<RuleConfig, "canaryOrderIds">>;
  /** Overrides the configured channels (tests pass their own receivers through config instead). */
  channels?: readonly AlertChannel[];
}

export interface IncidentResponse {
  incidents: IncidentService;
  /** The detection job: run it periodically (e.g. every minute); `at` runs it as of another time. */
  runDetection(options?: { at?: Date; signal?: AbortSignal }): Promise<DetectionRun>;
  close(): void;
}

/** Wires the incident service, its alert channels and the detector from the configuration. */
export function createIncidentResponse(deps: IncidentResponseDeps): IncidentResponse {
  const channels = deps.channels ?? alertChannels(deps.config.incidents, deps.clock);
  const incidents = createIncidentService({
    db: deps.db,
    clock: deps.clock,
    audit: deps.audit,
    pointOfContact: deps.config.incidents.contact,
    channels,
    ...(deps.logger ? { logger: deps.logger } : {}),
  });
  const detector = createDetector({
    db: deps.db,
    clock: deps.clock,
    incidents,
    rules: { ...deps.rules, canaryOrderIds: deps.config.incidents.canaryOrderIds },
    ...(deps.trustedPublicKeys ? { trustedPublicKeys: deps.trustedPublicKeys } : {}),
    throttleCounters: deps.throttleCounters ?? (() => syncThrottleCounters(deps.db)),
    ...(deps.logger ? { logger: deps.logger } : {}),
  });
  return {
    incidents,
    runDetection: detector.runDetection,
    close() {
      for (const c of channels) c.close?.();
    },
  };
}
