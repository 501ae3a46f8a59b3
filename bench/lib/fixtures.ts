import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import selfsigned from "selfsigned";
import { createLogger, type Logger } from "../../src/platform/logger.js";

export function tempDir(prefix = "sp-bench-"): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface CertificatePair {
  cert: string;
  key: string;
}

/** A throwaway EC certificate for 127.0.0.1, as the tests make (test/support/tls.ts). */
export async function benchCertificate(): Promise<CertificatePair> {
  const pems = await selfsigned.generate([{ name: "commonName", value: "localhost" }], {
    keyType: "ec",
    curve: "P-256",
    algorithm: "sha256",
    extensions: [
      {
        name: "subjectAltName",
        altNames: [
          { type: 2, value: "localhost" },
          { type: 7, ip: "127.0.0.1" },
        ],
      },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

/** The real logger (redaction, scrubbing and all) writing to nowhere. */
export function discardingLogger(level: "warn" | "error" = "warn"): Logger {
  return createLogger({
    level,
    destination: { write: () => true } as unknown as NodeJS.WritableStream,
  });
}
