import type { Kysely } from "kysely";
import type { DB } from "../db/schema.js";
import { entryPages } from "./audit-repo.js";

/** An entry as consumers outside src/audit read it (detection rules, reports): parsed, without hashes. */
export interface AuditRecord {
  seq: number;
  at: string;
  actor: string;
  action: string;
  outcome: string;
  target: Readonly<Record<string, string>>;
  reason: string | null;
}

/**
 * Entries after `afterSeq`, in seq order, at most `limit` of them: a reader keeps its own cursor (the last
 * seq it saw) and asks again. Read-only; the writers stay in audit-repo.ts.
 */
export async function readAuditEntries(
  db: Kysely<DB>,
  options: { afterSeq: number; limit: number },
): Promise<AuditRecord[]> {
  const out: AuditRecord[] = [];
  const pages = entryPages(db, { afterSeq: options.afterSeq, pageSize: Math.min(options.limit, 1000) });
  for await (const rows of pages) {
    for (const r of rows) {
      out.push({
        seq: r.seq,
        at: r.at,
        actor: r.actor,
        action: r.action,
        outcome: r.outcome,
        target: JSON.parse(r.target) as Record<string, string>,
        reason: r.reason,
      });
      if (out.length >= options.limit) return out;
    }
  }
  return out;
}
