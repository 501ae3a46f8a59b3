import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { DecryptCommand, GenerateDataKeyCommand, KMSClient, ReEncryptCommand } from "@aws-sdk/client-kms";
import { mockClient } from "aws-sdk-client-mock";

/**
 * AWS KMS cannot be reached from here, so tests stand in for it with aws-sdk-client-mock. The stand-in
 * really encrypts (AES-256-GCM per key id) and really checks key ids and encryption contexts, so a bug
 * that passes the wrong context or key fails exactly as it would against KMS.
 */
function kmsError(name: string): Error {
  const err = new Error(`${name}: simulated`);
  err.name = name;
  return err;
}

export function fakeKms() {
  const keys = new Map<string, Buffer>();
  const calls: string[] = [];
  const keyFor = (id: string) => {
    let key = keys.get(id);
    if (!key) {
      key = randomBytes(32);
      keys.set(id, key);
    }
    return key;
  };
  const ctxBytes = (ctx: Record<string, string> | undefined) =>
    Buffer.from(JSON.stringify(Object.entries(ctx ?? {}).sort(([a], [b]) => a.localeCompare(b))));
  const encrypt = (keyId: string, plaintext: Buffer, ctx?: Record<string, string>) => {
    const iv = randomBytes(12);
    const c = createCipheriv("aes-256-gcm", keyFor(keyId), iv);
    c.setAAD(ctxBytes(ctx));
    const body = Buffer.concat([c.update(plaintext), c.final()]);
    const id = Buffer.from(keyId);
    return new Uint8Array(Buffer.concat([Buffer.from([id.length]), id, iv, c.getAuthTag(), body]));
  };
  const decrypt = (blob: Uint8Array, ctx?: Record<string, string>, expectedKeyId?: string) => {
    const buf = Buffer.from(blob);
    const idLen = buf[0] ?? 0;
    const keyId = buf.subarray(1, 1 + idLen).toString();
    if (expectedKeyId && expectedKeyId !== keyId) throw kmsError("IncorrectKeyException");
    const key = keys.get(keyId);
    if (!key) throw kmsError("InvalidCiphertextException");
    const iv = buf.subarray(1 + idLen, 13 + idLen);
    const tag = buf.subarray(13 + idLen, 29 + idLen);
    const d = createDecipheriv("aes-256-gcm", key, iv);
    d.setAAD(ctxBytes(ctx));
    d.setAuthTag(tag);
    try {
      return { keyId, plaintext: Buffer.concat([d.update(buf.subarray(29 + idLen)), d.final()]) };
    } catch {
      throw kmsError("InvalidCiphertextException");
    }
  };

  const mock = mockClient(KMSClient);
  mock.on(GenerateDataKeyCommand).callsFake(async (input) => {
    calls.push("GenerateDataKey");
    const plaintext = randomBytes(32);
    return {
      KeyId: input.KeyId,
      Plaintext: new Uint8Array(plaintext),
      CiphertextBlob: encrypt(input.KeyId, plaintext, input.EncryptionContext),
    };
  });
  mock.on(DecryptCommand).callsFake(async (input) => {
    calls.push("Decrypt");
    const { keyId, plaintext } = decrypt(input.CiphertextBlob, input.EncryptionContext, input.KeyId);
    return { KeyId: keyId, Plaintext: new Uint8Array(plaintext) };
  });
  mock.on(ReEncryptCommand).callsFake(async (input) => {
    calls.push("ReEncrypt");
    const { plaintext } = decrypt(input.CiphertextBlob, input.SourceEncryptionContext, input.SourceKeyId);
    return {
      KeyId: input.DestinationKeyId,
      CiphertextBlob: encrypt(input.DestinationKeyId, plaintext, input.DestinationEncryptionContext),
    };
  });
  return {
    mock,
    calls,
    /** Makes every later call fail as KMS does when access is revoked. */
    denyAll() {
      mock.reset();
      mock.onAnyCommand().rejects(kmsError("AccessDeniedException"));
    },
    restore() {
      mock.restore();
    },
  };
}
