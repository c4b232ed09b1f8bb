import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { connectionSettings } from "./cli-env.js";

const dataDir = mkdtempSync(join(tmpdir(), "pancode-connection-"));
mkdirSync(join(dataDir, "tls"));
writeFileSync(join(dataDir, "client.token"), "local-token\n");
writeFileSync(join(dataDir, "tls", "ca.crt"), "not read here");
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe("connectionSettings", () => {
  it("a local CLI takes the token and the generated CA from the data dir", () => {
    expect(connectionSettings({ PANCODE_DATA_DIR: dataDir })).toEqual({
      address: "127.0.0.1:7400",
      token: "local-token",
      caPath: join(dataDir, "tls", "ca.crt"),
    });
  });

  it("an explicit CA wins, and PANCODE_INSECURE_PLAINTEXT=1 skips the data dir's CA", () => {
    expect(connectionSettings({ PANCODE_DATA_DIR: dataDir, PANCODE_TLS_CA: "/etc/ca.pem" }).caPath).toBe("/etc/ca.pem");
    expect(connectionSettings({ PANCODE_DATA_DIR: dataDir, PANCODE_INSECURE_PLAINTEXT: "1" }).caPath).toBe("");
  });

  it("a remote CLI (its own token) does not pick up a local CA", () => {
    expect(connectionSettings({ PANCODE_DATA_DIR: dataDir, PANCODE_TOKEN: "remote" })).toMatchObject({
      token: "remote",
      caPath: "",
    });
  });
});
