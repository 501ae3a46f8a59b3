import { createPrivateKey, X509Certificate } from "node:crypto";
import { constants, promises as fs } from "node:fs";
import path from "node:path";
import selfsigned from "selfsigned";
import type { TlsConfig } from "../config/config.js";
import type { Clock } from "../platform/clock.js";
import { MS } from "../platform/clock.js";
import { AppError } from "../platform/errors.js";

export interface TlsMaterial {
  cert: string;
  key: string;
  validTo: Date;
  selfSigned: boolean;
  subject: string;
  fingerprint256: string;
  /** True when this call generated a development certificate. */
  generated: boolean;
}

/** Server TLS settings: TLS 1.2 is the floor; 1.0/1.1 handshakes are refused. */
export const TLS_MIN_VERSION = "TLSv1.2" as const;
// Forward-secret AEAD suites only for TLS 1.2 (TLS 1.3 suites are all AEAD and not configured here).
export const TLS12_CIPHERS = [
  "ECDHE-ECDSA-AES256-GCM-SHA384",
  "ECDHE-RSA-AES256-GCM-SHA384",
  "ECDHE-ECDSA-CHACHA20-POLY1305",
  "ECDHE-RSA-CHACHA20-POLY1305",
  "ECDHE-ECDSA-AES128-GCM-SHA256",
  "ECDHE-RSA-AES128-GCM-SHA256",
].join(":");

const RENEW_BEFORE_MS = 30 * MS.day;
const DEV_CERT_LIFETIME_MS = 365 * MS.day;

export function inspectCertificate(cert: string, key: string): Omit<TlsMaterial, "generated" | "selfSigned"> {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (err) {
    throw new AppError("TLS_CERT_INVALID", "The TLS certificate is not a PEM X.509 certificate.", {
      cause: err,
    });
  }
  try {
    if (!x509.checkPrivateKey(createPrivateKey(key))) {
      throw new AppError("TLS_CERT_INVALID", "The TLS private key does not match the certificate.");
    }
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError("TLS_CERT_INVALID", "The TLS private key cannot be read.", { cause: err });
  }
  return {
    cert,
    key,
    validTo: new Date(x509.validTo),
    subject: x509.subject,
    fingerprint256: x509.fingerprint256,
  };
}

async function readPair(certFile: string, keyFile: string): Promise<{ cert: string; key: string }> {
  try {
    const [cert, key] = await Promise.all([fs.readFile(certFile, "utf8"), fs.readFile(keyFile, "utf8")]);
    return { cert, key };
  } catch (err) {
    throw new AppError("TLS_CERT_INVALID", `Cannot read ${certFile} or ${keyFile}.`, { cause: err });
  }
}

async function generateDevelopmentCertificate(
  certFile: string,
  keyFile: string,
  clock: Clock,
): Promise<void> {
  const now = clock.now();
  const pems = await selfsigned.generate([{ name: "commonName", value: "localhost" }], {
    keyType: "ec",
    curve: "P-256",
    algorithm: "sha256",
    notBeforeDate: new Date(now.getTime() - MS.hour),
    notAfterDate: new Date(now.getTime() + DEV_CERT_LIFETIME_MS),
    extensions: [
      { name: "basicConstraints", cA: false },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true },
      { name: "extKeyUsage", serverAuth: true },
      {
        name: "subjectAltName",
        altNames: [
          { type: 2, value: "localhost" },
          { type: 7, ip: "127.0.0.1" },
          { type: 7, ip: "::1" },
        ],
      },
    ],
  });
  await fs.mkdir(path.dirname(certFile), { recursive: true, mode: 0o700 });
  const keyHandle = await fs.open(keyFile, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o600);
  try {
    await keyHandle.writeFile(pems.private);
  } finally {
    await keyHandle.close();
  }
  await fs.chmod(keyFile, 0o600);
  await fs.writeFile(certFile, pems.cert, { mode: 0o644 });
}

/**
 * Loads the configured certificate, or in development generates a self-signed one under the data dir
 * (and renews it 30 days before it expires).
 */
export async function loadTlsMaterial(config: TlsConfig, clock: Clock): Promise<TlsMaterial> {
  if (config.kind === "files") {
    const pair = await readPair(config.certFile, config.keyFile);
    return { ...inspectCertificate(pair.cert, pair.key), selfSigned: false, generated: false };
  }
  let generated = false;
  let current: Omit<TlsMaterial, "generated" | "selfSigned"> | null = null;
  try {
    const pair = await readPair(config.certFile, config.keyFile);
    current = inspectCertificate(pair.cert, pair.key);
  } catch {
    current = null;
  }
  if (current === null || current.validTo.getTime() - clock.now().getTime() < RENEW_BEFORE_MS) {
    await generateDevelopmentCertificate(config.certFile, config.keyFile, clock);
    const pair = await readPair(config.certFile, config.keyFile);
    current = inspectCertificate(pair.cert, pair.key);
    generated = true;
  }
  return { ...current, selfSigned: true, generated };
}
