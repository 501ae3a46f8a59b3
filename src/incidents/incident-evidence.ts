import { createHash } from "node:crypto";
import type { EvidenceNote } from "./incident-types.js";

/** The chain's start for each incident: notes cannot be moved from one incident to another. */
export function evidenceGenesis(incidentId: string): string {
  return createHash("sha256").update(`seller-pilot:incident-evidence:${incidentId}`).digest("hex");
}

/**
 * SHA-256 over the note (position, time, author, content) and the previous note's hash: changing,
 * removing or reordering any note breaks every hash after it (chain of custody).
 */
export function evidenceHash(
  incidentId: string,
  note: Pick<EvidenceNote, "seq" | "at" | "actor" | "content" | "prevHash">,
): string {
  const canonical = JSON.stringify([incidentId, note.seq, note.at, note.actor, note.content, note.prevHash]);
  return createHash("sha256").update(canonical).digest("hex");
}

export type EvidenceVerification =
  | { valid: true; notes: number; headHash: string }
  | { valid: false; seq: number; problem: "altered" | "broken_link" | "missing" };

export function verifyEvidenceChain(
  incidentId: string,
  notes: readonly EvidenceNote[],
): EvidenceVerification {
  let prev = evidenceGenesis(incidentId);
  for (const [i, note] of notes.entries()) {
    if (note.seq !== i + 1) return { valid: false, seq: i + 1, problem: "missing" };
    if (note.prevHash !== prev) return { valid: false, seq: note.seq, problem: "broken_link" };
    if (evidenceHash(incidentId, note) !== note.hash)
      return { valid: false, seq: note.seq, problem: "altered" };
    prev = note.hash;
  }
  return { valid: true, notes: notes.length, headHash: prev };
}
