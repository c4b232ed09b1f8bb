// The Kubernetes manifests (deploy/k8s): the base and every overlay render, every object is valid against the
// Kubernetes 1.36 OpenAPI schema (KEDA and prometheus-operator CRD schemas for theirs) and has no unknown field,
// offline, and they hold together: names match the bus, selectors select, Secrets are the documented ones, one autoscaler per Deployment.
// Rendering is our own small kustomize (packages/testing/src/kustomize.ts), checked against `kubectl kustomize`
// wherever kubectl is installed. The coordinator's probe script runs against a real coordinator serving TLS.
import { spawnSync } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_STREAM_NAME, poolConsumerName } from "@pancode/bus";
import { REPO_ROOT, spawnService, stopProcess } from "@pancode/testing/cluster";
import { findOnPath } from "@pancode/testing/find-on-path";
import { KUBERNETES_SCHEMA_VERSION, schemaErrors } from "@pancode/testing/k8s-schema";
import { unknownFieldErrors } from "@pancode/testing/k8s-unknown-fields";
import { type K8sObject, renderKustomization } from "@pancode/testing/kustomize";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";

const K8S = join(REPO_ROOT, "deploy/k8s");
const KUBECTL = findOnPath("kubectl");
const NATS_SERVER = findOnPath("nats-server");

/** The Secrets an operator creates (deploy/k8s/README.md, "Secrets") and the keys the manifests read. */
const SECRETS: Record<string, string[]> = {
  "pancode-database": ["DATABASE_URL"],
  "pancode-tokens": ["PANCODE_TOKEN", "PANCODE_WORKER_TOKEN"],
  "pancode-nats": ["coordinator-password", "worker-password"],
  "pancode-coordinator-tls": ["tls.crt", "tls.key", "ca.crt"],
  "pancode-providers": [],
};

// biome-ignore lint/suspicious/noExplicitAny: rendered manifests are untyped YAML, read field by field in assertions.
type Json = Record<string, any>;

async function renderTargets(): Promise<Record<string, string>> {
  const overlays = await readdir(join(K8S, "overlays"));
  return Object.fromEntries([["base", K8S], ...overlays.map((o) => [o, join(K8S, "overlays", o)])]);
}

const find = (objects: K8sObject[], kind: string, name: string) =>
  objects.find((o) => o.kind === kind && o.metadata.name === name) as Json | undefined;
const podSpec = (o: Json | undefined): Json => o?.spec?.template?.spec ?? {};
const container = (o: Json | undefined, name: string): Json =>
  [...(podSpec(o).containers ?? []), ...(podSpec(o).initContainers ?? [])].find((c: Json) => c.name === name) ?? {};
const envOf = (c: Json, name: string) => (c.env ?? []).find((e: Json) => e.name === name);
const workloads = (objects: K8sObject[]) =>
  objects.filter((o) => o.kind === "Deployment" || o.kind === "StatefulSet") as Json[];
const matches = (selector: Record<string, string> = {}, labels: Record<string, string> = {}) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

describe("deploy/k8s", () => {
  let rendered: Record<string, K8sObject[]>;

  beforeAll(async () => {
    rendered = {};
    for (const [name, dir] of Object.entries(await renderTargets())) rendered[name] = renderKustomization(dir);
  });

  it(`renders the base and every overlay, each object valid against the Kubernetes ${KUBERNETES_SCHEMA_VERSION} schema`, () => {
    expect(Object.keys(rendered).sort()).toEqual(["base", "production", "production-hpa"]);
    for (const [name, objects] of Object.entries(rendered)) {
      expect(objects.length, name).toBeGreaterThan(10);
      const errors = objects.flatMap(schemaErrors);
      expect(errors, name).toEqual([]);
      const ids = objects.map((o) => `${o.kind}/${o.metadata.name}`);
      expect(new Set(ids).size, `${name}: duplicate objects`).toBe(ids.length);
      for (const o of objects)
        if (o.kind !== "Namespace") expect(o.metadata.namespace, o.metadata.name).toBe("pancode");
    }
  });

  it("uses no field the Kubernetes API does not know (what strict field validation would refuse)", async () => {
    for (const [name, objects] of Object.entries(rendered)) expect(await unknownFieldErrors(objects), name).toEqual([]);
    const misspelt = structuredClone(find(rendered.base ?? [], "Deployment", "pancode-worker")) as Json;
    misspelt.spec.template.spec.containers[0].livenessProbe.httpGet.paht = "/healthz";
    const errors = await unknownFieldErrors([misspelt as K8sObject]);
    expect(errors.join()).toMatch(/Deployment pancode-worker: .*'"?paht"?' does not exist/);
  });

  it("rejects what the schema forbids and what this renderer cannot render (the checks can fail)", async () => {
    const deployment = structuredClone(find(rendered.base ?? [], "Deployment", "pancode-coordinator")) as Json;
    deployment.spec.template.spec.containers[0].ports[0].containerPort = "grpc";
    expect(schemaErrors(deployment as K8sObject).join()).toMatch(/containerPort must be integer/);
    const scaled = structuredClone(find(rendered.production ?? [], "ScaledObject", "pancode-worker")) as Json;
    delete scaled.spec.scaleTargetRef;
    expect(schemaErrors(scaled as K8sObject).join()).toMatch(/scaleTargetRef/);
    const removed = { apiVersion: "extensions/v1beta1", kind: "Deployment", metadata: { name: "old" } };
    expect(schemaErrors(removed).join()).toMatch(/no schema for extensions\/v1beta1 Deployment/);

    const dir = await mkdtemp(join(tmpdir(), "pancode-kustomize-"));
    try {
      await writeFile(join(dir, "kustomization.yaml"), "resources: []\ncommonLabels: {a: b}\n");
      expect(() => renderKustomization(dir)).toThrow(/field commonLabels is not supported/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(!KUBECTL)("renders exactly what `kubectl kustomize` renders (where kubectl is installed)", async () => {
    for (const [name, dir] of Object.entries(await renderTargets())) {
      const out = spawnSync(KUBECTL as string, ["kustomize", dir], { encoding: "utf8" });
      expect(out.status, out.stderr).toBe(0);
      const theirs = parseAllDocuments(out.stdout).map((d) => d.toJS() as K8sObject);
      const key = (o: K8sObject) => `${o.kind}/${o.metadata.name}`;
      const sorted = (list: K8sObject[]) => [...list].sort((a, b) => key(a).localeCompare(key(b)));
      expect(sorted(rendered[name] ?? []), name).toEqual(sorted(theirs));
    }
  });

  it("names the main containers coordinator and worker, pins every image, and keeps production's replicas", () => {
    for (const [name, objects] of Object.entries(rendered)) {
      const coordinator = find(objects, "Deployment", "pancode-coordinator");
      const worker = find(objects, "Deployment", "pancode-worker");
      expect(
        podSpec(coordinator).containers.map((c: Json) => c.name),
        name,
      ).toEqual(["coordinator"]);
      expect(
        podSpec(worker).containers.map((c: Json) => c.name),
        name,
      ).toEqual(["worker"]);
      for (const w of workloads(objects)) {
        for (const c of [...podSpec(w).containers, ...(podSpec(w).initContainers ?? [])]) {
          expect(c.image, `${name} ${c.name}`).toMatch(/^[\w./-]+:(?!latest$)[\w.-]+$/);
        }
      }
      expect(container(coordinator, "coordinator").image).toBe("pancode/coordinator:dev");
      expect(container(worker, "worker").image).toBe("pancode/worker:dev");
      expect(find(objects, "StatefulSet", "nats")?.spec.replicas).toBe(3);
    }
    for (const name of ["production", "production-hpa"]) {
      const objects = rendered[name] ?? [];
      const coordinator = find(objects, "Deployment", "pancode-coordinator");
      expect(coordinator?.spec.replicas, name).toBe(2);
      const c = container(coordinator, "coordinator");
      // The coordinator creates the task stream; the pool consumers inherit its replicas.
      expect(envOf(c, "PANCODE_JETSTREAM_REPLICAS")?.value, name).toBe("3");
      // The patch merged into the base's env list instead of replacing it.
      expect(envOf(c, "NATS_URL")?.value, name).toMatch(/nats-2\.nats-headless/);
    }
    expect(
      envOf(
        container(find(rendered.base ?? [], "Deployment", "pancode-coordinator"), "coordinator"),
        "PANCODE_JETSTREAM_REPLICAS",
      )?.value,
    ).toBe("1");
  });

  it("runs the coordinator non-root on a read-only root with no capabilities, probed over gRPC and /readyz", () => {
    for (const objects of Object.values(rendered)) {
      const coordinator = find(objects, "Deployment", "pancode-coordinator");
      const pod = podSpec(coordinator);
      const c = container(coordinator, "coordinator");
      expect(pod.securityContext.runAsNonRoot).toBe(true);
      expect(c.securityContext).toMatchObject({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ["ALL"] },
      });
      expect(c.resources.requests.cpu).toBeDefined();
      expect(c.resources.limits.memory).toBeDefined();
      expect(c.readinessProbe.httpGet).toMatchObject({ path: "/readyz", port: "metrics" });
      expect(c.startupProbe.exec.command.join(" ")).toMatch(/grpc-health-probe\.mjs serving$/);
      expect(c.volumeMounts.map((m: Json) => m.mountPath)).toEqual(
        expect.arrayContaining(["/tmp", "/var/lib/pancode"]),
      );
      const pdb = find(objects, "PodDisruptionBudget", "pancode-coordinator");
      expect(matches(pdb?.spec.selector.matchLabels, coordinator?.spec.template.metadata.labels)).toBe(true);
      const service = find(objects, "Service", "pancode-coordinator");
      expect(service?.spec.ports.map((p: Json) => p.name)).toEqual(["grpc", "metrics"]);
      // A browser session lives on one replica: the console's Service keeps a browser on it.
      const consoleService = find(objects, "Service", "pancode-console");
      expect(consoleService?.spec.sessionAffinity).toBe("ClientIP");
      expect(consoleService?.spec.ports.map((p: Json) => p.targetPort)).toEqual(["console"]);
      expect(c.ports.map((p: Json) => p.name)).toContain("console");
      expect(envOf(c, "PANCODE_CONSOLE_LISTEN")?.value).toBe("0.0.0.0:7701");
    }
  });

  it("gives agent containers network none: the worker's engine runs with --bridge=none on a same-path data dir", () => {
    const worker = find(rendered.base ?? [], "Deployment", "pancode-worker");
    const engine = container(worker, "docker");
    expect(engine.restartPolicy).toBe("Always");
    expect(engine.args).toContain("--bridge=none");
    expect(envOf(container(worker, "worker"), "PANCODE_AGENT_NETWORK")?.value).toBe("");
    const dataPath = (c: Json) => c.volumeMounts.find((m: Json) => m.name === "data")?.mountPath;
    expect(dataPath(engine)).toBe(envOf(container(worker, "worker"), "PANCODE_DATA_DIR")?.value);
    expect(dataPath(container(worker, "worker"))).toBe(dataPath(engine));
    const socket = envOf(container(worker, "worker"), "PANCODE_DOCKER_SOCKET")?.value;
    expect(engine.args).toContain(`--host=unix://${socket}`);
  });

  it("mounts only volumes that exist, ConfigMaps that are rendered, and the documented Secrets", async () => {
    const readme = await readFile(join(K8S, "README.md"), "utf8");
    for (const [name, objects] of Object.entries(rendered)) {
      for (const w of workloads(objects)) {
        const pod = podSpec(w);
        const volumes = new Set([
          ...(pod.volumes ?? []).map((v: Json) => v.name),
          ...(w.spec.volumeClaimTemplates ?? []).map((v: Json) => v.metadata.name),
        ]);
        for (const c of [...pod.containers, ...(pod.initContainers ?? [])]) {
          for (const m of c.volumeMounts ?? []) expect(volumes.has(m.name), `${name} ${c.name} ${m.name}`).toBe(true);
          for (const e of c.env ?? []) {
            const ref = e.valueFrom?.secretKeyRef;
            if (ref) expect(SECRETS[ref.name], `${c.name} ${e.name}`).toContain(ref.key);
          }
          for (const from of c.envFrom ?? []) expect(Object.keys(SECRETS)).toContain(from.secretRef?.name);
        }
        for (const v of pod.volumes ?? []) {
          if (v.configMap) expect(find(objects, "ConfigMap", v.configMap.name), v.configMap.name).toBeDefined();
          if (v.secret) expect(Object.keys(SECRETS)).toContain(v.secret.secretName);
          for (const item of v.secret?.items ?? []) expect(SECRETS[v.secret.secretName]).toContain(item.key);
        }
      }
    }
    for (const secret of Object.keys(SECRETS)) expect(readme, `README names ${secret}`).toContain(secret);
  });

  it("selects pods that exist from every Service, NetworkPolicy, ServiceMonitor and autoscaler", () => {
    for (const [name, objects] of Object.entries(rendered)) {
      const podLabels = workloads(objects).map((w) => w.spec.template.metadata.labels as Record<string, string>);
      const selectsPods = (selector: Record<string, string>) => podLabels.some((labels) => matches(selector, labels));
      for (const o of objects as Json[]) {
        if (o.kind === "Service") expect(selectsPods(o.spec.selector), `${name} ${o.metadata.name}`).toBe(true);
        if (o.kind === "NetworkPolicy") {
          expect(selectsPods(o.spec.podSelector.matchLabels ?? {}), o.metadata.name).toBe(true);
          for (const rule of [...(o.spec.ingress ?? []), ...(o.spec.egress ?? [])]) {
            for (const peer of [...(rule.from ?? []), ...(rule.to ?? [])]) {
              if (peer.podSelector?.matchLabels?.["app.kubernetes.io/name"]) {
                expect(selectsPods(peer.podSelector.matchLabels), `${o.metadata.name} peer`).toBe(true);
              }
            }
          }
        }
        if (o.kind === "ServiceMonitor") {
          const service = (objects as Json[]).find(
            (s) => s.kind === "Service" && matches(o.spec.selector.matchLabels, s.metadata.labels),
          );
          expect(
            service?.spec.ports.map((p: Json) => p.name),
            o.metadata.name,
          ).toContain(o.spec.endpoints[0].port);
          // The job name the alert rules and dashboards select on.
          expect(service?.metadata.labels[o.spec.jobLabel]).toBe(o.metadata.name);
        }
      }
      const targets = (objects as Json[])
        .filter((o) => o.kind === "ScaledObject" || o.kind === "HorizontalPodAutoscaler")
        .map((o) => o.spec.scaleTargetRef.name);
      expect(new Set(targets).size, `${name}: one autoscaler per Deployment`).toBe(targets.length);
      for (const t of targets) expect(find(objects, "Deployment", t), t).toBeDefined();
    }
    expect(find(rendered.production ?? [], "ScaledObject", "pancode-worker")).toBeDefined();
    expect(find(rendered["production-hpa"] ?? [], "HorizontalPodAutoscaler", "pancode-worker")).toBeDefined();
  });

  it("scales workers on the bus's own stream and pool consumer, and reaches NATS only from coordinator and workers", () => {
    const scaled = find(rendered.production ?? [], "ScaledObject", "pancode-worker");
    const trigger = scaled?.spec.triggers[0];
    const worker = container(find(rendered.production ?? [], "Deployment", "pancode-worker"), "worker");
    expect(trigger.type).toBe("nats-jetstream");
    expect(trigger.metadata).toMatchObject({
      account: "$G",
      stream: DEFAULT_STREAM_NAME,
      consumer: poolConsumerName(envOf(worker, "PANCODE_POOL")?.value),
    });
    const policy = find(rendered.base ?? [], "NetworkPolicy", "nats");
    const clientRule = policy?.spec.ingress.find((r: Json) => r.ports[0].port === 4222);
    expect(clientRule.from.map((p: Json) => p.podSelector.matchLabels["app.kubernetes.io/name"]).sort()).toEqual([
      "pancode-coordinator",
      "pancode-worker",
    ]);
    expect(find(rendered.base ?? [], "NetworkPolicy", "default-deny")?.spec).toEqual({
      podSelector: {},
      policyTypes: ["Ingress", "Egress"],
    });
  });

  it.skipIf(!NATS_SERVER && process.env.CI !== "true")(
    "ships a NATS configuration nats-server accepts, with deploy/nats's users",
    async () => {
      expect(NATS_SERVER, "nats-server is missing (scripts/setup-machine.sh installs it)").toBeDefined();
      const config = find(rendered.production ?? [], "ConfigMap", "nats-config");
      expect(config?.data["auth.conf"]).toBe(await readFile(join(REPO_ROOT, "deploy/nats/nats.conf"), "utf8"));
      const dir = await mkdtemp(join(tmpdir(), "pancode-nats-conf-"));
      try {
        for (const [file, text] of Object.entries(config?.data as Record<string, string>)) {
          await writeFile(join(dir, file), text);
        }
        const env = {
          PATH: process.env.PATH ?? "",
          POD_NAME: "nats-0",
          NATS_COORDINATOR_PASSWORD: "c1",
          NATS_WORKER_PASSWORD: "w1",
        };
        const check = spawnSync(NATS_SERVER as string, ["-c", join(dir, "nats.conf"), "-t"], { env, encoding: "utf8" });
        expect(check.status, check.stderr + check.stdout).toBe(0);
        await writeFile(join(dir, "nats.conf"), `${config?.data["nats.conf"]}\ncluster { bogus_key: [ }\n`);
        const broken = spawnSync(NATS_SERVER as string, ["-c", join(dir, "nats.conf"), "-t"], {
          env,
          encoding: "utf8",
        });
        expect(broken.status).not.toBe(0);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});

describe("the coordinator's gRPC health probe script", () => {
  const script = join(K8S, "base/coordinator/grpc-health-probe.mjs");
  let dataDir: string;
  let coordinator: Awaited<ReturnType<typeof spawnService>>;
  let port: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "pancode-probe-"));
    // Off loopback the coordinator serves TLS with a CA it generates; the probe dials 127.0.0.1 by the Service name.
    coordinator = await spawnService(
      "coordinator",
      {
        PANCODE_LISTEN: "0.0.0.0:0",
        PANCODE_DATA_DIR: dataDir,
        PANCODE_TLS_SANS: "pancode-coordinator",
        PANCODE_LOG_LEVEL: "info",
      },
      /listening on (\S+)/,
    );
    port = (coordinator.match[1] as string).split(":").pop() as string;
  });

  afterAll(async () => {
    if (coordinator) await stopProcess(coordinator.child);
    await rm(dataDir, { recursive: true, force: true });
  });

  const probe = (mode: string, env: Record<string, string>) =>
    spawnSync(process.execPath, [script, mode], {
      env: {
        PATH: process.env.PATH ?? "",
        PANCODE_LISTEN: `0.0.0.0:${port}`,
        PANCODE_PROBE_MODULES: join(REPO_ROOT, "apps/coordinator/package.json"),
        ...env,
      },
      encoding: "utf8",
      timeout: 20_000,
    });

  it("passes over TLS with the CA and the Service's name, as the pod runs it", () => {
    const tls = { PANCODE_PROBE_TLS_CA: join(dataDir, "tls/ca.crt"), PANCODE_PROBE_TLS_NAME: "pancode-coordinator" };
    for (const mode of ["serving", "answers"]) {
      const result = probe(mode, tls);
      expect(result.status, result.stderr).toBe(0);
    }
  });

  it("fails in plaintext (kubelet's own grpc probe) and under a name the certificate does not carry", () => {
    const plaintext = probe("answers", {});
    expect(plaintext.status).toBe(1);
    const wrongName = probe("answers", {
      PANCODE_PROBE_TLS_CA: join(dataDir, "tls/ca.crt"),
      PANCODE_PROBE_TLS_NAME: "elsewhere",
    });
    expect(wrongName.status).toBe(1);
    expect(wrongName.stderr).toMatch(/grpc health/);
  });
});
