import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { PanCodeError } from "@pancode/core";
import { keyIdOf } from "./dsse.js";

/** An Ed25519 signing key with its public half in PEM and its key id. */
export interface SigningKey {
  privateKey: KeyObject;
  publicKeyPem: string;
  keyId: string;
}

/** Wraps a private key. */
export function signingKeyOf(privateKey: KeyObject): SigningKey {
  const publicKeyPem = createPublicKey(privateKey).export({ format: "pem", type: "spki" }).toString();
  return { privateKey, publicKeyPem, keyId: keyIdOf(privateKey) };
}

async function tightenExisting(path: string, mode: number): Promise<void> {
  try {
    await chmod(path, mode);
  } catch (err) {
    // Not there yet: created below with the right mode.
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
}

/** A fresh Ed25519 key (tests, and first starts). */
export function generateSigningKey(): SigningKey {
  return signingKeyOf(generateKeyPairSync("ed25519").privateKey);
}

/**
 * Loads the Ed25519 key at `path` (PKCS#8 PEM), or creates it there on first start with mode 0600 in a 0700
 * folder: the private key never leaves this host's data dir. A key or folder found with looser modes (an older
 * version, a copy) is tightened first.
 */
export async function loadOrCreateSigningKey(path: string): Promise<SigningKey> {
  await tightenExisting(dirname(path), 0o700);
  await tightenExisting(path, 0o600);
  let pem: string | undefined;
  try {
    pem = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") {
      throw new PanCodeError("INTERNAL", `cannot read signing key ${path}: ${(err as Error).message}`, { cause: err });
    }
  }
  if (pem !== undefined) {
    try {
      return signingKeyOf(createPrivateKey(pem));
    } catch (err) {
      throw new PanCodeError("INTERNAL", `signing key ${path} is not a valid Ed25519 PEM key`, { cause: err });
    }
  }
  const key = generateSigningKey();
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  // flag "wx": two processes racing on a first start must not overwrite each other's key.
  await writeFile(path, key.privateKey.export({ format: "pem", type: "pkcs8" }), { mode: 0o600, flag: "wx" }).catch(
    async (err: NodeJS.ErrnoException) => {
      if (err.code === "EEXIST") return;
      throw new PanCodeError("INTERNAL", `cannot write signing key ${path}: ${err.message}`, { cause: err });
    },
  );
  await chmod(path, 0o600);
  return signingKeyOf(createPrivateKey(await readFile(path, "utf8")));
}
