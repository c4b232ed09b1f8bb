import { createPrivateKey, webcrypto } from "node:crypto";
import { access, chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { isIP } from "node:net";
import { hostname } from "node:os";
import { join } from "node:path";
// @peculiar/x509 resolves its ASN.1 services through tsyringe, which needs this polyfill loaded first.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";

/**
 * Files of the TLS material a coordinator generates. `<data dir>/tls` holds only certificates (public: compose shares
 * it with the workers so they trust `ca.crt`); the private keys live next to the coordinator's signing key in
 * `<data dir>/keys`, which nothing else ever mounts.
 */
export const TLS_DIR = "tls";
export const CA_CERT_FILE = "ca.crt";
const SERVER_CERT_FILE = "server.crt";
const KEYS_DIR = "keys";
const CA_KEY_FILE = "tls-ca.key";
const SERVER_KEY_FILE = "tls-server.key";

const ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const DAY_MS = 24 * 60 * 60 * 1000;
/** The CA outlives many server certificates; a server certificate is reissued a month before it expires. */
const CA_DAYS = 3650;
const SERVER_DAYS = 397;
const RENEW_BEFORE_MS = 30 * DAY_MS;

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

/** Paths of the generated material. */
export interface GeneratedTls {
  caPath: string;
  certPath: string;
  keyPath: string;
}

/** Names a server certificate covers: this host, loopback, the listen address and any extra names. */
export function serverNames(listenHost: string, extra: readonly string[]): string[] {
  const names = [hostname(), "localhost", "127.0.0.1", "::1", ...extra];
  // The unspecified addresses are no name a client can dial.
  if (listenHost && listenHost !== "0.0.0.0" && listenHost !== "::") names.push(listenHost);
  return [...new Set(names.map((n) => n.trim()).filter(Boolean))];
}

/**
 * Loads the coordinator's CA and server certificate from `<dataDir>/tls`, creating them on first use (keys 0600 in
 * `<dataDir>/keys`).
 * The CA is kept across restarts, so clients trust it once; the server certificate is reissued by the same CA when
 * it lacks one of `names` or is about to expire.
 */
export async function ensureGeneratedTls(dataDir: string, names: readonly string[]): Promise<GeneratedTls> {
  const certs = join(dataDir, TLS_DIR);
  const keys = join(dataDir, KEYS_DIR);
  await mkdir(certs, { recursive: true, mode: 0o755 });
  await mkdir(keys, { recursive: true, mode: 0o700 });
  const paths = {
    caPath: join(certs, CA_CERT_FILE),
    caKeyPath: join(keys, CA_KEY_FILE),
    certPath: join(certs, SERVER_CERT_FILE),
    keyPath: join(keys, SERVER_KEY_FILE),
  };
  const ca = (await loadCa(paths.caPath, paths.caKeyPath)) ?? (await createCa(paths.caPath, paths.caKeyPath));
  const current = await readCert(paths.certPath);
  const usable =
    current !== undefined &&
    covers(current, names) &&
    current.notAfter.getTime() - Date.now() > RENEW_BEFORE_MS &&
    // A CA made anew (its files were deleted) would not vouch for the old server certificate.
    (await current.verify({ publicKey: ca.cert.publicKey, signatureOnly: true })) &&
    (await fileExists(paths.keyPath));
  if (!usable) await issueServerCert(ca, names, paths.certPath, paths.keyPath);
  return { caPath: paths.caPath, certPath: paths.certPath, keyPath: paths.keyPath };
}

interface Ca {
  cert: x509.X509Certificate;
  key: CryptoKey;
}

async function readCert(path: string): Promise<x509.X509Certificate | undefined> {
  try {
    return new x509.X509Certificate(await readFile(path, "utf8"));
  } catch (_err) {
    // Missing (first start) or unreadable: a new one is made.
    return undefined;
  }
}

async function loadCa(certPath: string, keyPath: string): Promise<Ca | undefined> {
  const cert = await readCert(certPath);
  if (!cert) return undefined;
  const pkcs8 = createPrivateKey(await readFile(keyPath)).export({ type: "pkcs8", format: "der" });
  const key = await webcrypto.subtle.importKey("pkcs8", pkcs8, ALGORITHM, false, ["sign"]);
  return { cert, key: key as unknown as CryptoKey };
}

async function createCa(certPath: string, keyPath: string): Promise<Ca> {
  const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"])) as unknown as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: `CN=PanCode cluster CA (${hostname()})`,
    notBefore: new Date(Date.now() - DAY_MS),
    notAfter: new Date(Date.now() + CA_DAYS * DAY_MS),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  await writeSecret(keyPath, await privateKeyPem(keys.privateKey));
  await writeFile(certPath, cert.toString("pem"), { mode: 0o644 });
  return { cert, key: keys.privateKey };
}

async function issueServerCert(ca: Ca, names: readonly string[], certPath: string, keyPath: string): Promise<void> {
  const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"])) as unknown as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: "CN=pancode-coordinator",
    issuer: ca.cert.subject,
    notBefore: new Date(Date.now() - DAY_MS),
    notAfter: new Date(Date.now() + SERVER_DAYS * DAY_MS),
    signingKey: ca.key,
    publicKey: keys.publicKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(
        names.map((value) => ({ type: isIP(value) ? ("ip" as const) : ("dns" as const), value })),
      ),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
    ],
  });
  await writeSecret(keyPath, await privateKeyPem(keys.privateKey));
  await writeFile(certPath, cert.toString("pem"), { mode: 0o644 });
}

/** True when every name is among the certificate's subject alternative names. */
function covers(cert: x509.X509Certificate, names: readonly string[]): boolean {
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const present = new Set(san?.names.items.map((n) => n.value.toLowerCase()) ?? []);
  return names.every((n) => present.has(n.toLowerCase()));
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey("pkcs8", key);
  return x509.PemConverter.encode(der, "PRIVATE KEY");
}

async function writeSecret(path: string, pem: string): Promise<void> {
  await writeFile(path, pem, { mode: 0o600 });
  // writeFile's mode only applies to a new file; an older key file keeps whatever mode it had.
  await chmod(path, 0o600);
}

function randomSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  // A positive serial: clear the top bit.
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return Buffer.from(bytes).toString("hex");
}

/** Whether `path` exists (a missing file is the expected case here, not an error). */
export async function fileExists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch (_err) {
    return false;
  }
}
