import type { Logger } from "../platform/logger.js";

/**
 * What happened to whom, by whom — never values, PII or secrets. The hash-chained audit log arrives with
 * the identity work; until then (and as a fallback) events go to the structured log.
 */
export interface AuditEvent {
  action: string;
  actor: string;
  outcome: "success" | "failure" | "denied";
  target?: Readonly<Record<string, string>>;
  reason?: string;
}

export interface AuditSink {
  record(event: AuditEvent): Promise<void>;
}

export function loggerAuditSink(logger: Logger): AuditSink {
  const audit = logger.child({ stream: "audit" });
  return {
    async record(event) {
      audit.info({ audit: event }, `audit ${event.action} ${event.outcome}`);
    },
  };
}
