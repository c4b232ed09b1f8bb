// What an operator deploys: docker-compose.yml renders with the documented variables and is secure by default (TLS
// off loopback, NATS with users), and the NATS server accepts the shipped configuration. Rendered with the real
// docker-compose (v1, Debian) and the real nats-server, so a broken file fails here rather than on an operator's host.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT } from "@pancode/testing/cluster";
import { findOnPath } from "@pancode/testing/find-on-path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const COMPOSE = findOnPath("docker-compose");
const NATS_SERVER = findOnPath("nats-server");
// In CI a missing tool is a failure (setup-machine.sh installs both), never a silent skip.
const skipMissing = (path: string | undefined) => !path && process.env.CI !== "true";

/** The variables the compose file requires (it names each one that is missing). */
const REQUIRED = {
  PANCODE_TOKEN: "t".repeat(48),
  PANCODE_WORKER_TOKEN: "w".repeat(48),
  POSTGRES_PASSWORD: "p".repeat(32),
  NATS_COORDINATOR_PASSWORD: `c${"1".repeat(47)}`,
  NATS_WORKER_PASSWORD: `w${"2".repeat(47)}`,
};

function renderCompose(env: Record<string, string>) {
  return spawnSync(COMPOSE ?? "docker-compose", ["-f", join(REPO_ROOT, "docker-compose.yml"), "config"], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? "", ...env },
    encoding: "utf8",
  });
}

interface ComposeService {
  command?: string[];
  environment?: Record<string, string>;
  volumes?: unknown[];
}

describe.skipIf(skipMissing(COMPOSE))("docker-compose.yml", () => {
  it("renders with the documented variables, serving TLS off loopback and NATS with a user per role", () => {
    const rendered = renderCompose(REQUIRED);
    expect(rendered.stderr).not.toMatch(/error/i);
    expect(rendered.status).toBe(0);
    const services = (parse(rendered.stdout) as { services: Record<string, ComposeService> }).services;
    const coordinator = services.coordinator?.environment ?? {};
    expect(coordinator.PANCODE_LISTEN).toBe("0.0.0.0:7400");
    expect(coordinator.PANCODE_INSECURE_PLAINTEXT ?? "").toBe("");
    expect(coordinator.NATS_USER).toBe("coordinator");
    expect(coordinator.NATS_PASSWORD).toBe(REQUIRED.NATS_COORDINATOR_PASSWORD);
    const worker = services.worker?.environment ?? {};
    expect(worker.NATS_USER).toBe("worker");
    expect(worker.NATS_PASSWORD).toBe(REQUIRED.NATS_WORKER_PASSWORD);
    expect(worker.PANCODE_TLS_CA).toMatch(/ca\.crt$/);
    expect(services.nats?.command).toEqual(expect.arrayContaining(["-c", "/etc/nats/nats.conf"]));
  });

  it("refuses to render without a NATS password, naming the variable", () => {
    const { NATS_WORKER_PASSWORD: _omitted, ...rest } = REQUIRED;
    const rendered = renderCompose(rest);
    expect(rendered.status).not.toBe(0);
    expect(rendered.stderr).toContain("NATS_WORKER_PASSWORD");
  });
});

describe.skipIf(skipMissing(NATS_SERVER))("deploy/nats/nats.conf", () => {
  it("is a configuration nats-server accepts", () => {
    const checked = spawnSync(NATS_SERVER ?? "nats-server", ["-t", "-c", join(REPO_ROOT, "deploy/nats/nats.conf")], {
      env: { PATH: process.env.PATH ?? "", ...REQUIRED },
      encoding: "utf8",
    });
    expect(`${checked.stdout}${checked.stderr}`).toContain("is valid");
    expect(checked.status).toBe(0);
  });
});
