import {
  DecryptCommand,
  GenerateDataKeyCommand,
  type KMSClient,
  ReEncryptCommand,
} from "@aws-sdk/client-kms";
import { AppError, isAppError } from "../platform/errors.js";
import type { EncryptionContext, KekRecord, KeyProvider } from "./key-provider.js";

export interface KmsProviderOptions {
  client: Pick<KMSClient, "send">;
  /** The KMS key new KEK versions use. Point it at a new key and run `keys rotate` to move to it. */
  keyId: string;
}

/**
 * KMS answers that say "not for you" about a key (revoked access, disabled or deleted key, a ciphertext it
 * will not open), as opposed to an outage (throttling, timeouts, KMSInternalException) worth retrying.
 */
const KMS_REFUSALS: ReadonlySet<string> = new Set([
  "AccessDeniedException",
  "DisabledException",
  "IncorrectKeyException",
  "InvalidCiphertextException",
  "InvalidGrantTokenException",
  "InvalidKeyUsageException",
  "KMSInvalidStateException",
  "NotFoundException",
]);

/** True when a KEY_PROVIDER_FAILED came from KMS refusing the key rather than failing to answer. */
export function isKmsRefusal(err: unknown): boolean {
  return (
    isAppError(err) &&
    err.code === "KEY_PROVIDER_FAILED" &&
    err.cause instanceof Error &&
    KMS_REFUSALS.has(err.cause.name)
  );
}

function kmsFailure(operation: string, err: unknown): AppError {
  // KMS error names (AccessDeniedException, InvalidCiphertextException, ...) are safe and useful; messages may carry ARNs.
  const name = err instanceof Error ? err.name : "UnknownError";
  return new AppError("KEY_PROVIDER_FAILED", `KMS ${operation} failed: ${name}.`, { cause: err });
}

function bytes(value: Uint8Array | undefined, operation: string): Buffer {
  if (!value || value.length === 0)
    throw new AppError("KEY_PROVIDER_FAILED", `KMS ${operation} returned no key material.`);
  return Buffer.from(value);
}

/** Data keys generated, unwrapped and re-wrapped by AWS KMS, bound to an encryption context. */
export function createKmsKeyProvider(options: KmsProviderOptions): KeyProvider {
  const { client, keyId } = options;
  const ctx = (context: EncryptionContext): Record<string, string> => ({ ...context });
  return {
    kind: "aws-kms",
    async createKek() {
      return { keyRef: keyId, material: null };
    },
    async generateDataKey(kek: KekRecord, context) {
      try {
        const out = await client.send(
          new GenerateDataKeyCommand({
            KeyId: kek.keyRef,
            KeySpec: "AES_256",
            EncryptionContext: ctx(context),
          }),
        );
        return {
          plaintext: bytes(out.Plaintext, "GenerateDataKey"),
          wrapped: bytes(out.CiphertextBlob, "GenerateDataKey"),
        };
      } catch (err) {
        if (err instanceof AppError) throw err;
        throw kmsFailure("GenerateDataKey", err);
      }
    },
    async decryptDataKey(kek, wrapped, context) {
      try {
        const out = await client.send(
          new DecryptCommand({ CiphertextBlob: wrapped, KeyId: kek.keyRef, EncryptionContext: ctx(context) }),
        );
        return bytes(out.Plaintext, "Decrypt");
      } catch (err) {
        if (err instanceof AppError) throw err;
        throw kmsFailure("Decrypt", err);
      }
    },
    async reEncryptDataKey(from, to, wrapped, context) {
      try {
        const out = await client.send(
          new ReEncryptCommand({
            CiphertextBlob: wrapped,
            SourceKeyId: from.keyRef,
            DestinationKeyId: to.keyRef,
            SourceEncryptionContext: ctx(context),
            DestinationEncryptionContext: ctx(context),
          }),
        );
        return bytes(out.CiphertextBlob, "ReEncrypt");
      } catch (err) {
        if (err instanceof AppError) throw err;
        throw kmsFailure("ReEncrypt", err);
      }
    },
  };
}
