import { randomBytes } from "node:crypto";
import { AppError } from "../platform/errors.js";
import { AES_KEY_BYTES, gcmDecrypt, gcmEncrypt, packBox, unpackBox } from "./aes-gcm.js";
import { contextBytes, type EncryptionContext, type KekRecord, type KeyProvider } from "./key-provider.js";
import type { MasterKey } from "./master-key.js";

function kekAad(version: number): Buffer {
  return Buffer.from(`seller-pilot:kek:v${version}`, "utf8");
}

/** KEKs as random keys wrapped under the master key; data keys wrapped under a KEK with the context as AAD. */
export function createLocalKeyProvider(master: MasterKey): KeyProvider {
  const wrappingKey = master.derive("key-wrapping");
  const unwrapped = new Map<number, Buffer>();

  function kekKey(kek: KekRecord): Buffer {
    if (kek.provider !== "local" || kek.material === null) {
      throw new AppError("KEY_PROVIDER_FAILED", `KEK v${kek.version} is not a local key.`);
    }
    let key = unwrapped.get(kek.version);
    if (!key) {
      key = gcmDecrypt(wrappingKey, unpackBox(Buffer.from(kek.material, "base64")), kekAad(kek.version));
      unwrapped.set(kek.version, key);
    }
    return key;
  }

  function wrap(kek: KekRecord, dataKey: Buffer, context: EncryptionContext): Buffer {
    return packBox(gcmEncrypt(kekKey(kek), dataKey, contextBytes(context)));
  }

  function unwrap(kek: KekRecord, wrapped: Buffer, context: EncryptionContext): Buffer {
    return gcmDecrypt(kekKey(kek), unpackBox(wrapped), contextBytes(context));
  }

  return {
    kind: "local",
    async createKek(version) {
      const key = randomBytes(AES_KEY_BYTES);
      const material = packBox(gcmEncrypt(wrappingKey, key, kekAad(version))).toString("base64");
      key.fill(0);
      return { keyRef: "local", material };
    },
    async generateDataKey(kek, context) {
      const plaintext = randomBytes(AES_KEY_BYTES);
      return { plaintext, wrapped: wrap(kek, plaintext, context) };
    },
    async decryptDataKey(kek, wrapped, context) {
      return unwrap(kek, wrapped, context);
    },
    async reEncryptDataKey(from, to, wrapped, context) {
      const key = unwrap(from, wrapped, context);
      try {
        return wrap(to, key, context);
      } finally {
        key.fill(0);
      }
    },
  };
}
