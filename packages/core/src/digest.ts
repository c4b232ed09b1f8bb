import { createHash } from "node:crypto";

/** Prefix of every digest PanCode stores or sends: content is addressed as `sha256:<64 hex>`. */
export const DIGEST_PREFIX = "sha256:";

/** The `sha256:<hex>` digest of `data`. */
export function sha256Digest(data: Uint8Array | string): string {
  return DIGEST_PREFIX + createHash("sha256").update(data).digest("hex");
}

/** True when `value` has the exact shape `sha256:<64 lowercase hex>`. */
export function isDigest(value: string): boolean {
  return /^sha256:[0-9a-f]{64}$/.test(value);
}

/** The sha256 digest of the empty byte string: the digest of an empty patch. */
export const EMPTY_DIGEST = sha256Digest(new Uint8Array());
