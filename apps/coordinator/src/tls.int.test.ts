import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { clientCredentials, createClientApi } from "@pancode/proto";
import { createJsonLogger, noopLogger } from "@pancode/telemetry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCoordinatorConfig } from "./config.js";
import { type Coordinator, startCoordinator } from "./coordinator.js";

// Tests bind 0.0.0.0 to be "off loopback" but only ever connect through 127.0.0.1.

const PLAINTEXT = clientCredentials({ tls: false, caPath: "" });

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pancode-tls-"));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The port of `coordinator`, dialled on loopback whatever it listens on. */
function loopbackAddress(coordinator: Coordinator): string {
  return `127.0.0.1:${coordinator.address.slice(coordinator.address.lastIndexOf(":") + 1)}`;
}

async function listRuns(coordinator: Coordinator, credentials = PLAINTEXT) {
  const api = createClientApi({
    address: loopbackAddress(coordinator),
    token: coordinator.clientToken,
    credentials,
    deadlineMs: 3000,
  });
  try {
    return await api.listRuns(5);
  } finally {
    api.close();
  }
}

async function start(env: Record<string, string>, logger = noopLogger): Promise<Coordinator> {
  return startCoordinator({ config: loadCoordinatorConfig(env), logger });
}

describe("TLS with a configured certificate", () => {
  it("serves clients that trust its certificate and refuses plaintext", async () => {
    const certDir = join(dir, "configured");
    execFileSync("mkdir", ["-p", certDir]);
    execFileSync(
      "openssl",
      [
        ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"],
        ...["-addext", "subjectAltName=IP:127.0.0.1"],
        ...["-keyout", join(certDir, "key.pem"), "-out", join(certDir, "cert.pem")],
      ],
      { stdio: "ignore" },
    );
    const coordinator = await start({
      PANCODE_LISTEN: "127.0.0.1:0",
      PANCODE_DATA_DIR: join(certDir, "data"),
      PANCODE_TLS_CERT: join(certDir, "cert.pem"),
      PANCODE_TLS_KEY: join(certDir, "key.pem"),
    });
    try {
      const trusting = clientCredentials({ tls: true, caPath: join(certDir, "cert.pem") });
      expect(await listRuns(coordinator, trusting)).toEqual([]);
      await expect(listRuns(coordinator)).rejects.toMatchObject({ code: "UNAVAILABLE" });
    } finally {
      await coordinator.close();
    }
  });
});

describe("TLS by default off loopback", () => {
  it("generates a CA and server certificate in the data dir, serves TLS with them, and reuses them", async () => {
    const dataDir = join(dir, "generated");
    const env = { PANCODE_LISTEN: "0.0.0.0:0", PANCODE_DATA_DIR: dataDir, PANCODE_TLS_SANS: "pancode.test, 10.9.8.7" };
    const first = await start(env);
    const caPath = join(dataDir, "tls", "ca.crt");
    let firstCa: string;
    try {
      expect(first.tlsCaPath).toBe(caPath);
      expect(await listRuns(first, clientCredentials({ tls: true, caPath }))).toEqual([]);
      await expect(listRuns(first)).rejects.toMatchObject({ code: "UNAVAILABLE" });
      const server = new X509Certificate(await readFile(join(dataDir, "tls", "server.crt")));
      for (const name of ["DNS:localhost", "IP Address:127.0.0.1", "IP Address:0:0:0:0:0:0:0:1", "DNS:pancode.test"]) {
        expect(server.subjectAltName).toContain(name);
      }
      expect(server.subjectAltName).toContain("IP Address:10.9.8.7");
      expect(server.verify(new X509Certificate(await readFile(caPath)).publicKey)).toBe(true);
      for (const key of ["tls-ca.key", "tls-server.key"]) {
        expect((await stat(join(dataDir, "keys", key))).mode & 0o777).toBe(0o600);
      }
      firstCa = await readFile(caPath, "utf8");
    } finally {
      await first.close();
    }
    // A restart keeps the CA, so clients that trust it keep working.
    const second = await start(env);
    try {
      expect(await readFile(caPath, "utf8")).toBe(firstCa);
      expect(await listRuns(second, clientCredentials({ tls: true, caPath }))).toEqual([]);
    } finally {
      await second.close();
    }
  });

  it("a client trusting another CA is refused", async () => {
    const ours = await start({ PANCODE_LISTEN: "0.0.0.0:0", PANCODE_DATA_DIR: join(dir, "ours") });
    const other = await start({ PANCODE_LISTEN: "0.0.0.0:0", PANCODE_DATA_DIR: join(dir, "other") });
    try {
      const wrongCa = clientCredentials({ tls: true, caPath: other.tlsCaPath });
      await expect(listRuns(ours, wrongCa)).rejects.toMatchObject({ code: "UNAVAILABLE" });
    } finally {
      await ours.close();
      await other.close();
    }
  });

  it("serves plaintext off loopback only with PANCODE_INSECURE_PLAINTEXT=1, and warns", async () => {
    const lines: string[] = [];
    const logger = createJsonLogger({ level: "warn", write: (line) => lines.push(line) });
    const dataDir = join(dir, "insecure");
    const coordinator = await start(
      { PANCODE_LISTEN: "0.0.0.0:0", PANCODE_DATA_DIR: dataDir, PANCODE_INSECURE_PLAINTEXT: "1" },
      logger,
    );
    try {
      expect(coordinator.tlsCaPath).toBe("");
      expect(await listRuns(coordinator)).toEqual([]);
      const warnings = lines.map((line) => JSON.parse(line) as { level: string; msg: string });
      expect(warnings).toContainEqual(
        expect.objectContaining({ level: "warn", msg: expect.stringMatching(/PLAINTEXT off loopback/) }),
      );
    } finally {
      await coordinator.close();
    }
  });

  it("stays plaintext on loopback", async () => {
    const coordinator = await start({ PANCODE_LISTEN: "127.0.0.1:0", PANCODE_DATA_DIR: join(dir, "loopback") });
    try {
      expect(coordinator.tlsCaPath).toBe("");
      expect(await listRuns(coordinator)).toEqual([]);
    } finally {
      await coordinator.close();
    }
  });
});
