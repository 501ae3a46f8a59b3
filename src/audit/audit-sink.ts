import type { Logger } from "../platform/logger.js";

/**
 * What happened to whom, by whom — never values, PII or secrets. With a database the events go to the
 * hash-chained log (createDatabaseAuditSink in audit-log.ts); without one, to the structured log.
 */
export interface AuditEvent {
  action: string;
  actor: string;
  outcome: "success" | "failure" | "denied";
  /** Ids of what was acted on (account, user, order ...), never names, addresses or values. */
  target?: Readonly<Record<string, string>>;
  /** A stable code (e.g. an error code), not free text from a user. */
  reason?: string;
  /** The HTTP request id, so an entry can be matched with the request log. */
  requestId?: string;
}

export interface AuditSink {
  /**
   * Resolves once the event is durable (the database sink commits it in a shared group-commit transaction).
   * Do not await it inside a transaction on the data store: on SQLite the store has one connection, and
   * the append would wait for the transaction that is waiting for it.
   */
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
