// What an operator deploys: docker-compose.yml renders with the documented variables and is secure by default (TLS
// off loopback, NATS with users), and the NATS server accepts the shipped configuration. Rendered with the real
// docker-compose (v1, Debian) and the real nats-server, so a broken file fails here rather than on an operator's host.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
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

function renderCompose(env: Record<string, string>, profiles: string[] = []) {
  const args = ["-f", join(REPO_ROOT, "docker-compose.yml"), ...profiles.flatMap((p) => ["--profile", p]), "config"];
  return spawnSync(COMPOSE ?? "docker-compose", args, {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? "", ...env },
    encoding: "utf8",
  });
}

interface ComposeService {
  image?: string;
  profiles?: string[];
  command?: string[];
  environment?: Record<string, string>;
  volumes?: unknown[];
}

/** The host side of a service's bind mounts that come from this checkout (`<abs path>:<target>[:mode]`). */
function repoMounts(service: ComposeService): string[] {
  return (service.volumes ?? [])
    .filter((v): v is string => typeof v === "string" && v.startsWith(REPO_ROOT))
    .map((v) => v.split(":")[0] as string);
}

const OBSERVABILITY = ["otel-collector", "tempo", "prometheus", "grafana"];

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

  it("renders the observability profile: collector, Tempo, Prometheus and Grafana, pinned, with their files mounted", () => {
    const rendered = renderCompose(REQUIRED, ["observability"]);
    expect(rendered.stderr).not.toMatch(/error/i);
    expect(rendered.status).toBe(0);
    const services = (parse(rendered.stdout) as { services: Record<string, ComposeService> }).services;
    for (const name of OBSERVABILITY) {
      const service = services[name];
      expect(service, `service ${name}`).toBeDefined();
      // Pinned by tag: never :latest, never untagged.
      expect(service?.image).toMatch(/^[^:]+:(?!latest$)[\w.-]+$/);
      const mounts = repoMounts(service ?? {});
      expect(mounts.length, `${name} mounts its configuration from deploy/`).toBeGreaterThan(0);
      for (const path of mounts) expect(existsSync(path), `${name} mounts ${path}`).toBe(true);
    }
    // What the mounted directories must hold for the services to start provisioned.
    for (const file of [
      "deploy/prometheus/prometheus.yml",
      "deploy/prometheus/pancode-rules.yml",
      "deploy/grafana/provisioning/datasources/pancode.yml",
      "deploy/grafana/provisioning/dashboards/pancode.yml",
      "deploy/grafana/dashboards/cluster-overview.json",
      "deploy/grafana/dashboards/model-usage.json",
    ]) {
      expect(existsSync(join(REPO_ROOT, file)), file).toBe(true);
    }
    // Prometheus scrapes what the services expose: every PanCode process serves metrics on 9464.
    expect(services.coordinator?.environment?.PANCODE_METRICS_LISTEN).toBe("0.0.0.0:9464");
    expect(services.worker?.environment?.PANCODE_METRICS_LISTEN).toBe("0.0.0.0:9464");
  });

  it("starts the observability services only with the profile", () => {
    // `config` lists every service whatever the profile; `up` skips those whose profiles are not enabled.
    const rendered = renderCompose(REQUIRED);
    const services = (parse(rendered.stdout) as { services: Record<string, ComposeService> }).services;
    for (const name of OBSERVABILITY) expect(services[name]?.profiles, name).toEqual(["observability"]);
    for (const name of ["nats", "postgres", "coordinator", "worker"])
      expect(services[name]?.profiles, name).toBeUndefined();
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
