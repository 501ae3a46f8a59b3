import type { Kysely } from "kysely";
import type { DB } from "../db/schema.js";
import { entryHash, GENESIS_HASH, signatureProblem } from "./audit-chain.js";
import { type AuditCheckpointRow, type AuditEntryRow, checkpointPages, entryPages } from "./audit-repo.js";

export type AuditProblemKind =
  | "altered"
  | "deleted"
  | "inserted"
  | "reordered"
  | "truncated"
  | "bad_signature";

export interface AuditProblem {
  kind: AuditProblemKind;
  /** The first entry (or checkpoint) position where the log stops holding. */
  seq: number;
  /** When a whole range is affected (a rewritten segment), its last seq. */
  through?: number;
  message: string;
}

export interface AuditHead {
  firstSeq: number | null;
  lastSeq: number | null;
  headHash: string;
  lastCheckpointSeq: number | null;
}

export type AuditVerification =
  | ({ valid: true; entries: number; checkpoints: number; anchors: number } & AuditHead)
  | { valid: false; problem: AuditProblem; entriesChecked: number };

export interface VerifyOptions {
  /** SPKI base64 public keys whose signatures count; without it any self-consistent signature does. */
  trustedPublicKeys?: readonly string[];
  pageSize?: number;
}

/** How far ahead the walk looks for an entry's predecessor (to tell reordered from deleted). */
const LOOKAHEAD = 256;

class Problem extends Error {
  constructor(readonly problem: AuditProblem) {
    super(problem.message);
  }
}

function fail(kind: AuditProblemKind, seq: number, message: string, through?: number): never {
  throw new Problem({ kind, seq, message, ...(through !== undefined ? { through } : {}) });
}

/** Entries in seq order with a window of the ones after the current entry. */
class EntryWalk {
  #buffer: AuditEntryRow[] = [];
  #pos = 0;
  #done = false;

  constructor(private readonly pages: AsyncGenerator<AuditEntryRow[]>) {}

  async #fill(): Promise<void> {
    while (!this.#done && this.#buffer.length - this.#pos <= LOOKAHEAD) {
      const next = await this.pages.next();
      if (next.done) this.#done = true;
      else {
        this.#buffer = [...this.#buffer.slice(this.#pos), ...next.value];
        this.#pos = 0;
      }
    }
  }

  /** `ahead` is a function: the window is only copied when an entry does not hold. */
  async next(): Promise<{ entry: AuditEntryRow; ahead: () => readonly AuditEntryRow[] } | null> {
    await this.#fill();
    const entry = this.#buffer[this.#pos];
    if (!entry) return null;
    this.#pos += 1;
    const buffer = this.#buffer;
    const from = this.#pos;
    return { entry, ahead: () => buffer.slice(from, from + LOOKAHEAD) };
  }
}

interface Link {
  seq: number;
  hash: string;
}

/** Names what happened at an entry whose seq, hash or link does not hold. */
function classify(
  e: AuditEntryRow,
  prev: Link,
  before: Link | null,
  lookahead: () => readonly AuditEntryRow[],
): void {
  if (e.seq !== prev.seq + 1)
    fail("deleted", prev.seq + 1, `entries ${prev.seq + 1}..${e.seq - 1} are missing`);
  const intact = entryHash(e) === e.hash;
  if (intact && e.prev_hash === prev.hash) return;
  if (!intact && e.prev_hash === prev.hash)
    fail("altered", e.seq, `entry ${e.seq} does not match its hash: it was changed after it was written`);
  const ahead = lookahead();
  if (ahead.some((r) => r.hash === e.prev_hash))
    fail("reordered", e.seq, `entry ${e.seq} follows an entry that now comes after it`);
  if (before && e.prev_hash === before.hash)
    fail("inserted", prev.seq, `entry ${prev.seq} is not part of the chain: it was inserted`);
  const next = ahead[0];
  if (next && next.seq === e.seq + 1 && next.prev_hash === prev.hash)
    fail("inserted", e.seq, `entry ${e.seq} is not part of the chain: it was inserted`);
  if (!intact)
    fail("altered", e.seq, `entry ${e.seq} does not match its hash: it was changed after it was written`);
  fail("deleted", e.seq, `the entry before ${e.seq} is missing (later entries were renumbered)`);
}

/**
 * Walks the chain in seq order (streamed, one page at a time) with the signed checkpoints and anchors and
 * reports the first problem: an entry changed (altered), missing (deleted), added (inserted) or moved
 * (reordered); a signed checkpoint whose entries are gone (truncated); a signature that does not hold
 * (bad_signature). Entries after the newest checkpoint are protected by the chain alone: cutting them off
 * together with nothing signed is not detectable here, which is why checkpoints are frequent and the
 * log is sealed on shutdown.
 */
export async function verifyAuditLog(
  db: Kysely<DB>,
  options: VerifyOptions = {},
): Promise<AuditVerification> {
  const trusted = options.trustedPublicKeys ? new Set(options.trustedPublicKeys) : undefined;
  let entriesChecked = 0;
  try {
    // Bounds first, checkpoints before entries: a checkpoint commits with its entries, so every entry it
    // signs is visible to the entry query; appends made while we walk are left for the next run.
    const maxCheckpoint = await db
      .selectFrom("audit_checkpoints")
      .select((eb) => eb.fn.max("seq").as("seq"))
      .where("kind", "=", "checkpoint")
      .executeTakeFirst();
    const maxEntry = await db
      .selectFrom("audit_entries")
      .select((eb) => eb.fn.max("seq").as("seq"))
      .executeTakeFirst();
    const checkpointBound = Number(maxCheckpoint?.seq ?? 0);
    const entryBound = Number(maxEntry?.seq ?? 0);

    const anchors = await db
      .selectFrom("audit_checkpoints")
      .selectAll()
      .where("kind", "=", "anchor")
      .orderBy("seq")
      .execute();
    for (const a of anchors) {
      const why = signatureProblem(a, trusted);
      if (why) fail("bad_signature", a.seq, `the retention anchor at ${a.seq} does not hold: ${why}`);
    }

    const walk = new EntryWalk(
      entryPages(db, { throughSeq: entryBound, pageSize: options.pageSize ?? 1000 }),
    );
    const checkpointIter = checkpointPages(db, "checkpoint", checkpointBound);
    let cpPage: AuditCheckpointRow[] = [];
    let cpIndex = 0;
    let checkpoints = 0;
    let lastCheckpointSeq: number | null = null;
    const nextCheckpoint = async (): Promise<AuditCheckpointRow | null> => {
      if (cpIndex >= cpPage.length) {
        const page = await checkpointIter.next();
        if (page.done) return null;
        cpPage = page.value;
        cpIndex = 0;
      }
      return cpPage[cpIndex] ?? null;
    };
    const checkSignature = (cp: AuditCheckpointRow) => {
      const why = signatureProblem(cp, trusted);
      if (why) fail("bad_signature", cp.seq, `the checkpoint at ${cp.seq} does not hold: ${why}`);
      checkpoints += 1;
      lastCheckpointSeq = cp.seq;
    };

    const first = await walk.next();
    const firstSeq = first?.entry.seq ?? null;
    // Where the chain starts: genesis, or the newest retention anchor below the first entry.
    const base = anchors.filter((a) => firstSeq === null || a.seq < firstSeq).at(-1);
    let prev: Link = base ? { seq: base.seq, hash: base.head_hash } : { seq: 0, hash: GENESIS_HASH };
    let before: Link | null = null;
    let segmentStart = prev.seq + 1;

    for (let item = first; item; item = await walk.next()) {
      const { entry: e, ahead } = item;
      classify(e, prev, before, ahead);
      entriesChecked += 1;
      before = prev;
      prev = { seq: e.seq, hash: e.hash };
      for (let cp = await nextCheckpoint(); cp && cp.seq <= e.seq; cp = await nextCheckpoint()) {
        cpIndex += 1;
        checkSignature(cp);
        // Signed checkpoints below the chain's start were left by retention's own cut: nothing to match.
        if (cp.seq < e.seq) continue;
        if (cp.head_hash !== e.hash)
          fail(
            "altered",
            segmentStart,
            `entries ${segmentStart}..${cp.seq} do not match the checkpoint signed at ${cp.seq}: they were rewritten`,
            cp.seq,
          );
        segmentStart = cp.seq + 1;
      }
    }
    const beyond = await nextCheckpoint();
    if (beyond) {
      cpIndex += 1;
      checkSignature(beyond);
      fail(
        "truncated",
        prev.seq + 1,
        `the checkpoint at ${beyond.seq} signs entries up to ${beyond.seq}, but the log ends at ${prev.seq}`,
      );
    }
    return {
      valid: true,
      entries: entriesChecked,
      checkpoints,
      anchors: anchors.length,
      firstSeq,
      lastSeq: firstSeq === null ? null : prev.seq,
      headHash: prev.hash,
      lastCheckpointSeq,
    };
  } catch (err) {
    if (err instanceof Problem) return { valid: false, problem: err.problem, entriesChecked };
    throw err;
  }
}
