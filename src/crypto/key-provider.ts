/**
 * A key provider holds key-encryption keys (KEKs) and wraps per-account data keys with them.
 * `local`: KEKs are random 256-bit keys stored wrapped under the master key's "key-wrapping" sub-key.
 * `aws-kms`: KEKs are KMS keys; data keys are generated, decrypted and re-encrypted by KMS.
 */
export type ProviderKind = "local" | "aws-kms";

/** Binds a wrapped key to what it is for; a wrapped key presented with another context does not open. */
export type EncryptionContext = Readonly<Record<string, string>>;

export interface KekRecord {
  version: number;
  provider: ProviderKind;
  /** local: "local"; aws-kms: the KMS key id or ARN. */
  keyRef: string;
  /** local: the KEK wrapped under the master key; aws-kms: null. */
  material: string | null;
}

export interface GeneratedDataKey {
  plaintext: Buffer;
  wrapped: Buffer;
}

export interface KeyProvider {
  readonly kind: ProviderKind;
  /** Material for a new KEK version (nothing is stored by the provider itself). */
  createKek(version: number): Promise<Pick<KekRecord, "keyRef" | "material">>;
  generateDataKey(kek: KekRecord, context: EncryptionContext): Promise<GeneratedDataKey>;
  decryptDataKey(kek: KekRecord, wrapped: Buffer, context: EncryptionContext): Promise<Buffer>;
  /** Moves a wrapped data key from one KEK version to another without exposing it where the provider can avoid it. */
  reEncryptDataKey(
    from: KekRecord,
    to: KekRecord,
    wrapped: Buffer,
    context: EncryptionContext,
  ): Promise<Buffer>;
}

/** Canonical bytes of a context (sorted keys), used as AES-GCM AAD by the local provider. */
export function contextBytes(context: EncryptionContext): Buffer {
  const sorted = Object.keys(context)
    .sort()
    .map((k) => [k, context[k]]);
  return Buffer.from(JSON.stringify(sorted), "utf8");
}
