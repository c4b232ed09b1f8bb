import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { clientCredentials, createClientApi } from "@pancode/proto";
import { noopLogger } from "@pancode/telemetry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCoordinatorConfig } from "./config.js";
import { type Coordinator, startCoordinator } from "./coordinator.js";

// TLS when cert paths are configured: a client trusting the CA gets through; a plaintext client does not.

let dir: string;
let coordinator: Coordinator;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pancode-tls-"));
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
      "-keyout",
      join(dir, "key.pem"),
      "-out",
      join(dir, "cert.pem"),
    ],
    { stdio: "ignore" },
  );
  const config = loadCoordinatorConfig({
    PANCODE_LISTEN: "127.0.0.1:0",
    PANCODE_DATA_DIR: join(dir, "data"),
    PANCODE_TLS_CERT: join(dir, "cert.pem"),
    PANCODE_TLS_KEY: join(dir, "key.pem"),
  });
  coordinator = await startCoordinator({ config, logger: noopLogger });
});

afterAll(async () => {
  await coordinator?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("TLS", () => {
  it("serves clients that trust its certificate", async () => {
    const api = createClientApi({
      address: coordinator.address,
      token: coordinator.clientToken,
      credentials: clientCredentials({ tls: true, caPath: join(dir, "cert.pem") }),
    });
    expect(await api.listRuns(5)).toEqual([]);
    api.close();
  });

  it("does not talk plaintext", async () => {
    const api = createClientApi({
      address: coordinator.address,
      token: coordinator.clientToken,
      credentials: clientCredentials({ tls: false, caPath: "" }),
      deadlineMs: 3000,
    });
    await expect(api.listRuns(5)).rejects.toMatchObject({ code: "UNAVAILABLE" });
    api.close();
  });
});
