// Passkeys: the server speaks WebAuthn's JSON form (binary fields as base64url); navigator.credentials wants
// ArrayBuffers. These helpers convert both ways, field by field, as the WebAuthn Level 3 JSON mapping does.
import { isRecord } from "./api";

export function base64urlToBuffer(value: string): ArrayBuffer {
  const base64 = value.replace(/-/g, "+").replace(/_/g, "/");
  const padded = base64 + "===".slice((base64.length + 3) % 4);
  const binary = atob(padded);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes.buffer;
}

export function bufferToBase64url(buffer: ArrayBuffer | ArrayBufferView): string {
  const bytes =
    buffer instanceof ArrayBuffer
      ? new Uint8Array(buffer)
      : new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

type Json = Record<string, unknown>;

function descriptors(list: unknown): PublicKeyCredentialDescriptor[] | undefined {
  if (!Array.isArray(list)) return undefined;
  return list.filter(isRecord).map((item) => ({
    type: "public-key",
    id: base64urlToBuffer(String(item.id)),
    ...(Array.isArray(item.transports) ? { transports: item.transports as AuthenticatorTransport[] } : {}),
  }));
}

export function toRequestOptions(json: Json): PublicKeyCredentialRequestOptions {
  const { challenge, allowCredentials, ...rest } = json;
  const allow = descriptors(allowCredentials);
  return {
    ...(rest as Omit<PublicKeyCredentialRequestOptions, "challenge">),
    challenge: base64urlToBuffer(String(challenge)),
    ...(allow ? { allowCredentials: allow } : {}),
  };
}

export function toCreationOptions(json: Json): PublicKeyCredentialCreationOptions {
  const { challenge, user, excludeCredentials, ...rest } = json;
  const userJson = isRecord(user) ? user : {};
  const exclude = descriptors(excludeCredentials);
  return {
    ...(rest as Omit<PublicKeyCredentialCreationOptions, "challenge" | "user">),
    challenge: base64urlToBuffer(String(challenge)),
    user: {
      id: base64urlToBuffer(String(userJson.id)),
      name: String(userJson.name ?? ""),
      displayName: String(userJson.displayName ?? userJson.name ?? ""),
    },
    ...(exclude ? { excludeCredentials: exclude } : {}),
  };
}

function common(credential: PublicKeyCredential): Json {
  return {
    id: credential.id,
    rawId: bufferToBase64url(credential.rawId),
    type: credential.type,
    clientExtensionResults: credential.getClientExtensionResults(),
    ...(credential.authenticatorAttachment
      ? { authenticatorAttachment: credential.authenticatorAttachment }
      : {}),
  };
}

export function authenticationToJson(credential: PublicKeyCredential): Json {
  const response = credential.response as AuthenticatorAssertionResponse;
  return {
    ...common(credential),
    response: {
      clientDataJSON: bufferToBase64url(response.clientDataJSON),
      authenticatorData: bufferToBase64url(response.authenticatorData),
      signature: bufferToBase64url(response.signature),
      ...(response.userHandle ? { userHandle: bufferToBase64url(response.userHandle) } : {}),
    },
  };
}

export function registrationToJson(credential: PublicKeyCredential): Json {
  const response = credential.response as AuthenticatorAttestationResponse;
  return {
    ...common(credential),
    response: {
      clientDataJSON: bufferToBase64url(response.clientDataJSON),
      attestationObject: bufferToBase64url(response.attestationObject),
      transports: typeof response.getTransports === "function" ? response.getTransports() : [],
    },
  };
}

/** Returns the credential, or an error code the UI can show (cancelled, unsupported). */
export async function getPasskey(
  options: Json,
): Promise<{ ok: true; json: Json } | { ok: false; code: "PASSKEY_CANCELLED" | "PASSKEY_UNSUPPORTED" }> {
  if (!window.PublicKeyCredential || !navigator.credentials)
    return { ok: false, code: "PASSKEY_UNSUPPORTED" };
  try {
    const credential = await navigator.credentials.get({ publicKey: toRequestOptions(options) });
    if (!(credential instanceof PublicKeyCredential)) return { ok: false, code: "PASSKEY_CANCELLED" };
    return { ok: true, json: authenticationToJson(credential) };
  } catch {
    return { ok: false, code: "PASSKEY_CANCELLED" };
  }
}

export async function createPasskey(
  options: Json,
): Promise<{ ok: true; json: Json } | { ok: false; code: "PASSKEY_CANCELLED" | "PASSKEY_UNSUPPORTED" }> {
  if (!window.PublicKeyCredential || !navigator.credentials)
    return { ok: false, code: "PASSKEY_UNSUPPORTED" };
  try {
    const credential = await navigator.credentials.create({ publicKey: toCreationOptions(options) });
    if (!(credential instanceof PublicKeyCredential)) return { ok: false, code: "PASSKEY_CANCELLED" };
    return { ok: true, json: registrationToJson(credential) };
  } catch {
    return { ok: false, code: "PASSKEY_CANCELLED" };
  }
}
