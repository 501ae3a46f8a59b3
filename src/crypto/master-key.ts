import { hkdfSync, randomBytes } from "node:crypto";
import { constants, promises as fs } from "node:fs";
import path from "node:path";
import { DecryptCommand, GenerateDataKeyCommand } from "@aws-sdk/client-kms";
import type { KmsConfig, MasterKeyConfig } from "../config/config.js";
import { AppError } from "../platform/errors.js";
import { createKmsClient } from "./kms-client.js";

/** Each purpose gets its own sub-key, so a key used for one job can never decrypt another's data. */
export const KEY_PURPOSES = [
  "database",
  "secrets-store",
  "fields",
  "backups",
  "audit-signing",
  "key-wrapping",
  "session-csrf",
] as const;
export type KeyPurpose = (typeof KEY_PURPOSES)[number];

const KEY_BYTES = 32;
const HKDF_SALT = Buffer.from("seller-pilot/master-key/v1", "utf8");

export interface MasterKey {
  /** 256-bit sub-key for one purpose (HKDF-SHA-256). The master key itself never leaves this module. */
  derive(purpose: KeyPurpose): Buffer;
  /** SHA-256-based fingerprint for display: identifies the key without revealing it. */
  readonly fingerprint: string;
}

export interface LoadedMasterKey {
  key: MasterKey;
  file: string;
  /** True when this call created the key file (development only). */
  generated: boolean;
}

function parseKeyMaterial(raw: Buffer): Buffer | null {
  if (raw.length === KEY_BYTES) return raw;
  const text = raw.toString("utf8").trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, "hex");
  if (/^[A-Za-z0-9+/]{43}=$/.test(text)) {
    const decoded = Buffer.from(text, "base64");
    if (decoded.length === KEY_BYTES) return decoded;
  }
  return null;
}

function masterKeyFrom(material: Buffer): MasterKey {
  const secret = Buffer.from(material);
  const fingerprint = Buffer.from(
    hkdfSync("sha256", secret, HKDF_SALT, Buffer.from("seller-pilot:fingerprint", "utf8"), 8),
  ).toString("hex");
  return {
    fingerprint,
    derive(purpose) {
      return Buffer.from(
        hkdfSync("sha256", secret, HKDF_SALT, Buffer.from(`seller-pilot:${purpose}:v1`, "utf8"), KEY_BYTES),
      );
    },
  };
}

/** Generates a development key file atomically: created 0600, never overwrites an existing file. */
async function generateKeyFile(file: string): Promise<void> {
  await writeNewFile(file, `${randomBytes(KEY_BYTES).toString("base64")}\n`);
}

export async function checkKeyFilePermissions(file: string): Promise<void> {
  const stat = await fs.stat(file);
  if ((stat.mode & 0o077) !== 0) {
    throw new AppError(
      "KEY_FILE_PERMISSIONS",
      `The master key file ${file} is readable or writable by group or others (mode ${(stat.mode & 0o777).toString(8)}); run: chmod 600 ${file}`,
    );
  }
}

const KMS_PREFIX = "kms:v1:";
const KMS_CONTEXT = { purpose: "seller-pilot-master-key" };

async function writeNewFile(file: string, content: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const handle = await fs.open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function kmsError(operation: string, err: unknown): AppError {
  const name = err instanceof Error ? err.name : "UnknownError";
  return new AppError("KEY_PROVIDER_FAILED", `KMS ${operation} for the master key failed: ${name}.`, {
    cause: err,
  });
}

/** KMS mode: the file holds only KMS ciphertext; the plaintext master key exists in memory alone. */
async function generateKmsKeyFile(file: string, kms: KmsConfig): Promise<void> {
  let blob: Uint8Array | undefined;
  try {
    const out = await createKmsClient(kms).send(
      new GenerateDataKeyCommand({ KeyId: kms.keyId, KeySpec: "AES_256", EncryptionContext: KMS_CONTEXT }),
    );
    out.Plaintext?.fill(0);
    blob = out.CiphertextBlob;
  } catch (err) {
    throw kmsError("GenerateDataKey", err);
  }
  if (!blob) throw new AppError("KEY_PROVIDER_FAILED", "KMS GenerateDataKey returned no ciphertext.");
  await writeNewFile(file, `${KMS_PREFIX}${Buffer.from(blob).toString("base64")}\n`);
}

async function unwrapKmsKeyFile(text: string, kms: KmsConfig): Promise<Buffer> {
  const blob = Buffer.from(text.slice(KMS_PREFIX.length).trim(), "base64");
  try {
    const out = await createKmsClient(kms).send(
      new DecryptCommand({ CiphertextBlob: blob, KeyId: kms.keyId, EncryptionContext: KMS_CONTEXT }),
    );
    if (!out.Plaintext || out.Plaintext.length !== KEY_BYTES) throw new AppError("KEY_FILE_INVALID");
    return Buffer.from(out.Plaintext);
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw kmsError("Decrypt", err);
  }
}

export async function loadMasterKey(config: MasterKeyConfig): Promise<LoadedMasterKey> {
  let generated = false;
  try {
    await fs.access(config.file);
  } catch {
    if (!config.generateIfMissing) {
      throw new AppError("KEY_FILE_MISSING", `The master key file ${config.file} does not exist.`);
    }
    try {
      if (config.kms) await generateKmsKeyFile(config.file, config.kms);
      else await generateKeyFile(config.file);
      generated = true;
    } catch (err) {
      // Another process may have created it between access() and open(): use theirs.
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
  }
  await checkKeyFilePermissions(config.file);
  const raw = await fs.readFile(config.file);
  const text = raw.toString("utf8");
  let material: Buffer | null;
  if (text.startsWith(KMS_PREFIX)) {
    if (!config.kms) {
      throw new AppError(
        "KEY_FILE_INVALID",
        `${config.file} is wrapped by KMS; set SELLER_PILOT_KMS_KEY_ID to open it.`,
      );
    }
    material = await unwrapKmsKeyFile(text, config.kms);
  } else {
    if (config.kms) {
      throw new AppError(
        "KEY_FILE_INVALID",
        `${config.file} is a plaintext key but SELLER_PILOT_KMS_KEY_ID is set.`,
      );
    }
    material = parseKeyMaterial(raw);
  }
  if (!material) {
    throw new AppError(
      "KEY_FILE_INVALID",
      `The master key file ${config.file} must hold 32 bytes: raw, 64 hex characters or base64.`,
    );
  }
  const key = masterKeyFrom(material);
  material.fill(0);
  return { key, file: config.file, generated };
}

/** For tests and tools that already hold key material (e.g. a restore with an exported key). */
export function masterKeyFromBytes(material: Buffer): MasterKey {
  if (material.length !== KEY_BYTES) throw new AppError("KEY_FILE_INVALID");
  return masterKeyFrom(material);
}
