import type { Readable } from "node:stream";
import { AppError } from "../platform/errors.js";

/** Enough for any password or token the CLI takes on stdin; more is refused, not buffered without end. */
export const STDIN_MAX_BYTES = 64 * 1024;

/** Reads a whole stream as UTF-8 text, refusing more than `maxBytes`. */
export async function readStreamText(stream: Readable, maxBytes = STDIN_MAX_BYTES): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk), "utf8");
    size += buf.length;
    if (size > maxBytes) {
      stream.destroy();
      throw new AppError("PAYLOAD_TOO_LARGE", `stdin holds more than ${maxBytes} bytes.`);
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString("utf8");
}
