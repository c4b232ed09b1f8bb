import { readFile } from "node:fs/promises";
import type { SigningKeyInfo } from "@pancode/proto";
import type { TrustedKey } from "@pancode/receipts";
import { UsageError } from "./client/exit-codes.js";

/** One entry of keys.json, the file `pancode keys --json` prints and `pancode receipt verify --keys` reads. */
interface KeyJson {
  keyId: string;
  role: "worker" | "coordinator";
  ownerId: string;
  publicKeyPem: string;
  createdAt: string;
  revoked: boolean;
}

/** The keys.json document. */
export interface KeysJson {
  keys: KeyJson[];
}

/** Converts the coordinator's answer to keys.json entries. */
export function keysJson(keys: SigningKeyInfo[]): KeysJson {
  return {
    keys: keys.map((k) => ({
      keyId: k.keyId,
      role: k.role === "coordinator" ? "coordinator" : "worker",
      ownerId: k.ownerId,
      publicKeyPem: k.publicKeyPem,
      createdAt: k.createdAt,
      revoked: k.revoked,
    })),
  };
}

/** The trusted-key map verifyReceipt takes. */
export function trustedKeys(doc: KeysJson): Record<string, TrustedKey> {
  const keys: Record<string, TrustedKey> = {};
  for (const k of doc.keys) {
    keys[k.keyId] = { publicKeyPem: k.publicKeyPem, role: k.role, ownerId: k.ownerId, revoked: k.revoked };
  }
  return keys;
}

/** Reads a keys.json file; a missing or malformed file is a usage error naming the path. */
export async function readKeysFile(path: string): Promise<KeysJson> {
  let doc: unknown;
  try {
    doc = JSON.parse(await readFile(path, "utf8"));
  } catch (err) {
    throw new UsageError(`cannot read keys file ${path}: ${(err as Error).message}`);
  }
  const keys = (doc as Partial<KeysJson> | null)?.keys;
  const valid =
    Array.isArray(keys) &&
    keys.every(
      (k) =>
        typeof k?.keyId === "string" &&
        typeof k.publicKeyPem === "string" &&
        (k.role === "worker" || k.role === "coordinator"),
    );
  if (!valid) {
    throw new UsageError(`keys file ${path} must be {"keys": [{keyId, role, ownerId, publicKeyPem, revoked}]}`);
  }
  return {
    keys: keys.map((k) => ({ ...k, ownerId: k.ownerId ?? "", createdAt: k.createdAt ?? "", revoked: !!k.revoked })),
  };
}
