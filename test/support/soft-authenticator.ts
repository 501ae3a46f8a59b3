import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from "node:crypto";

/**
 * A software WebAuthn authenticator (ES256, "none" attestation) built on node:crypto, so registration and
 * authentication ceremonies can be verified end to end without a browser. Test support only.
 */

function head(major: number, length: number): Buffer {
  if (length < 24) return Buffer.from([(major << 5) | length]);
  if (length < 256) return Buffer.from([(major << 5) | 24, length]);
  const b = Buffer.alloc(3);
  b[0] = (major << 5) | 25;
  b.writeUInt16BE(length, 1);
  return b;
}

type Cbor = number | string | Buffer | Map<number | string, Cbor>;

/** Just enough CBOR for attestation objects and COSE keys: ints, text, bytes, maps. */
function cbor(value: Cbor): Buffer {
  if (typeof value === "number") return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (typeof value === "string") {
    const bytes = Buffer.from(value, "utf8");
    return Buffer.concat([head(3, bytes.length), bytes]);
  }
  if (Buffer.isBuffer(value)) return Buffer.concat([head(2, value.length), value]);
  const parts: Buffer[] = [head(5, value.size)];
  for (const [k, v] of value) parts.push(cbor(k), cbor(v));
  return Buffer.concat(parts);
}

const b64u = (b: Buffer) => b.toString("base64url");
const sha256 = (b: Buffer | string) => createHash("sha256").update(b).digest();

export interface SoftCredential {
  id: Buffer;
  privateKey: KeyObject;
  publicJwk: { x: string; y: string };
  counter: number;
}

export function createSoftAuthenticator(origin: string) {
  function newCredential(): SoftCredential {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const jwk = publicKey.export({ format: "jwk" });
    return {
      id: randomBytes(32),
      privateKey,
      publicJwk: { x: jwk.x as string, y: jwk.y as string },
      counter: 0,
    };
  }

  function clientData(type: "webauthn.create" | "webauthn.get", challenge: string): Buffer {
    return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }), "utf8");
  }

  function register(cred: SoftCredential, options: { challenge: string; rp: { id?: string } }) {
    const rpId = options.rp.id ?? new URL(origin).hostname;
    const coseKey = cbor(
      new Map<number, Cbor>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, Buffer.from(cred.publicJwk.x, "base64url")],
        [-3, Buffer.from(cred.publicJwk.y, "base64url")],
      ]),
    );
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(cred.id.length);
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(cred.counter);
    const authData = Buffer.concat([
      sha256(rpId),
      Buffer.from([0x45]), // user present, user verified, attested credential data
      counter,
      Buffer.alloc(16), // AAGUID
      idLength,
      cred.id,
      coseKey,
    ]);
    const attestationObject = cbor(
      new Map<string, Cbor>([
        ["fmt", "none"],
        ["attStmt", new Map()],
        ["authData", authData],
      ]),
    );
    return {
      id: b64u(cred.id),
      rawId: b64u(cred.id),
      type: "public-key" as const,
      response: {
        clientDataJSON: b64u(clientData("webauthn.create", options.challenge)),
        attestationObject: b64u(attestationObject),
        transports: ["internal" as const],
      },
      clientExtensionResults: {},
    };
  }

  function assert(cred: SoftCredential, options: { challenge: string; rpId?: string }) {
    const rpId = options.rpId ?? new URL(origin).hostname;
    cred.counter += 1;
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(cred.counter);
    const authenticatorData = Buffer.concat([sha256(rpId), Buffer.from([0x05]), counter]);
    const clientDataJSON = clientData("webauthn.get", options.challenge);
    const signature = sign(
      "sha256",
      Buffer.concat([authenticatorData, sha256(clientDataJSON)]),
      cred.privateKey,
    );
    return {
      id: b64u(cred.id),
      rawId: b64u(cred.id),
      type: "public-key" as const,
      response: {
        clientDataJSON: b64u(clientDataJSON),
        authenticatorData: b64u(authenticatorData),
        signature: b64u(signature),
      },
      clientExtensionResults: {},
    };
  }

  return { newCredential, register, assert };
}
