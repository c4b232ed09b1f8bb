import { mkdtemp, readFile, rm } from "node:fs/promises";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { noopLogger } from "@pancode/telemetry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCoordinatorConfig } from "../config.js";
import { type Coordinator, startCoordinator } from "../coordinator.js";

// The console listener of a coordinator that serves TLS (off loopback: its generated CA): HTTPS with the same
// certificate, session cookies marked Secure, and no plaintext.

let dir: string;
let coordinator: Coordinator;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pancode-console-tls-"));
  coordinator = await startCoordinator({
    config: loadCoordinatorConfig({
      PANCODE_LISTEN: "0.0.0.0:0",
      PANCODE_DATA_DIR: join(dir, "data"),
      PANCODE_CONSOLE_LISTEN: "127.0.0.1:0",
    }),
    logger: noopLogger,
  });
});

afterAll(async () => {
  await coordinator?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** An HTTPS request trusting `ca` only. */
async function https(
  path: string,
  options: { method?: string; body?: string; ca: string },
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, coordinator.consoleUrl),
      { method: options.method ?? "GET", ca: options.ca },
      (res) => {
        let body = "";
        res.on("data", (d: Buffer) => (body += d.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

describe("console under TLS", () => {
  it("serves HTTPS with the gRPC listener's certificate and marks the session cookie Secure", async () => {
    expect(coordinator.consoleUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/$/);
    const ca = await readFile(coordinator.tlsCaPath, "utf8");
    const anonymous = await https("/api/v1/session", { ca });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers["content-security-policy"]).toContain("frame-ancestors 'none'");
    const login = await https("/api/v1/session", {
      method: "POST",
      body: JSON.stringify({ token: coordinator.clientToken }),
      ca,
    });
    expect(login.status).toBe(200);
    expect(JSON.parse(login.body)).toMatchObject({ name: "admin", role: "admin" });
    const cookie = (login.headers["set-cookie"] as string[])[0] ?? "";
    expect(cookie.split("; ")).toEqual(expect.arrayContaining(["HttpOnly", "SameSite=Strict", "Secure"]));
  });

  it("refuses plaintext HTTP and clients that do not trust the CA", async () => {
    await expect(fetch(coordinator.consoleUrl.replace("https:", "http:"))).rejects.toThrow();
    await expect(https("/api/v1/session", { ca: "" })).rejects.toThrow();
  });
});
