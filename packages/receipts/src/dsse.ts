import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from "node:crypto";
import { PanCodeError, sha256Digest } from "@pancode/core";

/** DSSE payload type of an in-toto Statement. */
export const IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json";

/** One DSSE signature: the signing key's id and the base64 Ed25519 signature over the PAE bytes. */
export interface DsseSignature {
  keyid: string;
  sig: string;
}

/** A DSSE envelope (https://github.com/secure-systems-lab/dsse/blob/master/envelope.md). */
export interface DsseEnvelope {
  payloadType: string;
  /** Base64 of the payload bytes. */
  payload: string;
  signatures: DsseSignature[];
}

/**
 * DSSE pre-authentication encoding: `DSSEv1 <len(type)> <type> <len(payload)> <payload>`, lengths in bytes as
 * ASCII decimal. Signing these bytes (not the bare payload) binds the payload type into the signature.
 */
export function pae(payloadType: string, payload: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, "utf8");
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${type.length} `, "utf8"),
    type,
    Buffer.from(` ${payload.length} `, "utf8"),
    payload,
  ]);
}

/** Accepts a KeyObject or PEM text. */
function asPrivateKey(key: KeyObject | string): KeyObject {
  return typeof key === "string" ? createPrivateKey(key) : key;
}

function asPublicKey(key: KeyObject | string): KeyObject {
  return typeof key === "string" ? createPublicKey(key) : key;
}

/** Key id of an Ed25519 public (or private) key: sha256 of the 32 raw public key bytes, "sha256:<hex>". */
export function keyIdOf(key: KeyObject | string): string {
  const pub = typeof key === "string" ? createPublicKey(key) : key.type === "private" ? createPublicKey(key) : key;
  const jwk = pub.export({ format: "jwk" });
  if (jwk.crv !== "Ed25519" || typeof jwk.x !== "string") {
    throw new PanCodeError("INVALID_ARGUMENT", "only Ed25519 keys can sign receipts");
  }
  return sha256Digest(Buffer.from(jwk.x, "base64url"));
}

/** The payload bytes of an envelope. */
export function envelopePayload(envelope: DsseEnvelope): Buffer {
  return Buffer.from(envelope.payload, "base64");
}

/** Signs `payload` as a new envelope with one signature. */
export function signEnvelope(
  payload: Uint8Array | string,
  payloadType: string,
  privateKey: KeyObject | string,
): DsseEnvelope {
  const bytes = typeof payload === "string" ? Buffer.from(payload, "utf8") : Buffer.from(payload);
  return addSignature({ payloadType, payload: bytes.toString("base64"), signatures: [] }, privateKey);
}

/** Returns a copy of the envelope with one more signature (a countersignature over the same PAE bytes). */
export function addSignature(envelope: DsseEnvelope, privateKey: KeyObject | string): DsseEnvelope {
  const key = asPrivateKey(privateKey);
  const sig = sign(null, pae(envelope.payloadType, envelopePayload(envelope)), key).toString("base64");
  return { ...envelope, signatures: [...envelope.signatures, { keyid: keyIdOf(key), sig }] };
}

/** True when `signature` is a valid signature of the envelope's PAE bytes by `publicKey`. */
export function checkSignature(
  envelope: DsseEnvelope,
  signature: DsseSignature,
  publicKey: KeyObject | string,
): boolean {
  try {
    const bytes = pae(envelope.payloadType, envelopePayload(envelope));
    return verify(null, bytes, asPublicKey(publicKey), Buffer.from(signature.sig, "base64"));
  } catch (_err) {
    // A malformed key or signature is simply not a valid signature.
    return false;
  }
}

/** Parses envelope JSON, checking its shape; INVALID_ARGUMENT naming the problem otherwise. */
export function parseEnvelope(text: string): DsseEnvelope {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new PanCodeError("INVALID_ARGUMENT", `receipt envelope is not JSON: ${(err as Error).message}`);
  }
  const e = value as Partial<DsseEnvelope> | null;
  if (
    !e ||
    typeof e.payloadType !== "string" ||
    typeof e.payload !== "string" ||
    !Array.isArray(e.signatures) ||
    !e.signatures.every((s) => s && typeof s.keyid === "string" && typeof s.sig === "string")
  ) {
    throw new PanCodeError("INVALID_ARGUMENT", "receipt envelope must have payloadType, payload and signatures[]");
  }
  return { payloadType: e.payloadType, payload: e.payload, signatures: e.signatures };
}
