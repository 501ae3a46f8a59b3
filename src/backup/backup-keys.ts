import type { Kysely } from "kysely";
import type { KekRecord, KeyProvider } from "../crypto/key-provider.js";
import type { Keyring } from "../crypto/keyring.js";
import type { KeystoreDB } from "../crypto/keystore-schema.js";
import { isKmsRefusal } from "../crypto/kms-key-provider.js";
import type { MasterKey } from "../crypto/master-key.js";
import { AppError, isAppError } from "../platform/errors.js";
import { type ArchiveHeader, backupKeyContext } from "./archive-format.js";
import type { KeyOpener } from "./archive-reader.js";

/**
 * What wrapping and unwrapping a backup's data key needs: the live vault's keystore (KEK versions; the
 * vault's secrets stay out of reach), the keyring and the key provider.
 */
export interface BackupKeyDeps {
  keystore: Kysely<KeystoreDB>;
  provider: KeyProvider;
  keyring: Pick<Keyring, "current" | "byVersion">;
  master: { key: Pick<MasterKey, "fingerprint"> };
}

/**
 * A fresh data key for one backup, wrapped by the current KEK. The archive carries only the wrapped form,
 * so it opens only where that KEK version still exists: retiring it (or losing the vault) retires the backup.
 */
export async function newBackupKey(
  deps: Omit<BackupKeyDeps, "master">,
  backupId: string,
): Promise<{ kek: KekRecord; key: Buffer; wrapped: Buffer }> {
  const kek = await deps.keyring.current(deps.keystore);
  const generated = await deps.provider.generateDataKey(kek, backupKeyContext(backupId));
  return { kek, key: generated.plaintext, wrapped: generated.wrapped };
}

function unavailable(message: string, cause?: unknown): AppError {
  return new AppError("BACKUP_KEY_UNAVAILABLE", message, cause === undefined ? {} : { cause });
}

/** Unwraps an archive's data key with the live vault; every way of not having that key is BACKUP_KEY_UNAVAILABLE. */
export function backupKeyOpener(deps: BackupKeyDeps): KeyOpener {
  return async (header: ArchiveHeader) => {
    const elsewhere =
      header.masterKeyFingerprint !== deps.master.key.fingerprint
        ? ` It was written under master key ${header.masterKeyFingerprint}; this instance has ${deps.master.key.fingerprint}.`
        : "";
    if (header.provider !== deps.provider.kind) {
      throw unavailable(
        `The backup's key is wrapped by a ${header.provider} key provider; this instance uses ${deps.provider.kind}.`,
      );
    }
    let kek: KekRecord;
    try {
      kek = await deps.keyring.byVersion(deps.keystore, header.kekVersion);
    } catch (err) {
      if (isAppError(err) && (err.code === "KEY_VERSION_RETIRED" || err.code === "KEY_VERSION_UNKNOWN")) {
        const state = err.code === "KEY_VERSION_RETIRED" ? "was retired" : "does not exist here";
        throw unavailable(
          `KEK v${header.kekVersion}, which wraps this backup's key, ${state}.${elsewhere}`,
          err,
        );
      }
      throw err;
    }
    try {
      return await deps.provider.decryptDataKey(
        kek,
        Buffer.from(header.wrappedKey, "base64"),
        backupKeyContext(header.backupId),
      );
    } catch (err) {
      if (isAppError(err) && (err.code === "CIPHERTEXT_TAMPERED" || err.code === "CIPHERTEXT_MALFORMED")) {
        throw unavailable(
          `KEK v${header.kekVersion} of this instance does not open this backup's key: it was written by another instance or under another master key.${elsewhere}`,
          err,
        );
      }
      // KMS refusing the key (access revoked, key disabled or deleted) means this backup cannot be opened
      // from here; an outage (throttling, timeout) is not a missing key, so KEY_PROVIDER_FAILED stays as is.
      if (isKmsRefusal(err)) {
        throw unavailable(
          `KMS refused to unwrap this backup's key under KEK v${header.kekVersion} (${err instanceof Error ? err.message : "refused"}): check the KMS key's state and this instance's access to it.${elsewhere}`,
          err,
        );
      }
      throw err;
    }
  };
}
