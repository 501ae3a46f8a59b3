import { pipeline } from "node:stream/promises";
import { AppError } from "../platform/errors.js";
import type { ArchiveHeader } from "./archive-format.js";
import { ArchiveDecryptor, type KeyOpener, openArchiveFile, readArchiveHeader } from "./archive-reader.js";
import { type PayloadEvent, parsePayload } from "./payload.js";

export interface OpenedArchive {
  header: ArchiveHeader;
  size: number;
  /**
   * Streams the whole archive through authentication and the payload parser into `consume`. Resolves
   * only when every frame authenticated, the final frame was seen and the manifest matched the lines.
   */
  read(
    consume: (events: AsyncIterable<PayloadEvent>, bytesRead: () => number) => Promise<void>,
  ): Promise<{ bytes: number; sha256: string; frames: number }>;
  /** Erases the unwrapped data key. */
  close(): void;
}

const READ_CHUNK = 1024 * 1024;

/**
 * Checks the header and unwraps the backup's key before anything else happens, so a backup this instance
 * cannot open is refused (BACKUP_KEY_UNAVAILABLE) before a target is touched or a byte is decrypted.
 */
export async function openArchive(file: string, openKey: KeyOpener): Promise<OpenedArchive> {
  const { header, hash } = await readArchiveHeader(file);
  const key = await openKey(header, hash);
  const probe = await openArchiveFile(file);
  const size = (await probe.stat()).size;
  await probe.close();
  return {
    header,
    size,
    async read(consume) {
      const handle = await openArchiveFile(file);
      const decryptor = new ArchiveDecryptor(async (_again, againHash) => {
        // The file was replaced between the two reads: not the archive whose key we opened.
        if (!againHash.equals(hash))
          throw new AppError("BACKUP_TAMPERED", "The backup changed while it was read.");
        return Buffer.from(key);
      });
      await pipeline(handle.createReadStream({ highWaterMark: READ_CHUNK }), decryptor, async (source) => {
        await consume(parsePayload(source), () => decryptor.bytesRead);
      });
      return decryptor.summary;
    },
    close() {
      key.fill(0);
    },
  };
}
