import type { Kysely } from "kysely";
import type { DB } from "../db/schema.js";
import { type AuditEntryRow, entryPages } from "./audit-repo.js";

/** One JSONL line: the entry as stored, with its hashes so a SIEM can re-check the chain. */
export interface AuditExportLine {
  seq: number;
  id: string;
  at: string;
  actor: string;
  action: string;
  outcome: string;
  target: Record<string, string>;
  requestId: string | null;
  reason: string | null;
  prevHash: string;
  hash: string;
}

export function exportLine(row: AuditEntryRow): string {
  const line: AuditExportLine = {
    seq: row.seq,
    id: row.id,
    at: row.at,
    actor: row.actor,
    action: row.action,
    outcome: row.outcome,
    target: JSON.parse(row.target) as Record<string, string>,
    requestId: row.request_id,
    reason: row.reason,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
  return `${JSON.stringify(line)}\n`;
}

/**
 * Entries at or after `since`, in seq order, as JSONL text chunks (one page of entries per chunk): the
 * caller writes each chunk as it comes, so the log is never held in memory whole.
 */
export async function* exportAuditLog(
  db: Kysely<DB>,
  since: Date,
  options: { pageSize?: number } = {},
): AsyncGenerator<string> {
  const from = since.toISOString();
  // Start at the first entry in range (the at index), then page on the primary key.
  const first = await db
    .selectFrom("audit_entries")
    .select((eb) => eb.fn.min("seq").as("seq"))
    .where("at", ">=", from)
    .executeTakeFirst();
  if (first?.seq === null || first?.seq === undefined) return;
  const pages = entryPages(db, {
    afterSeq: Number(first.seq) - 1,
    since: from,
    pageSize: options.pageSize ?? 1000,
  });
  for await (const rows of pages) yield rows.map(exportLine).join("");
}
