import { execFileSync, spawnSync } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { credentials, loadPackageDefinition } from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { type AgentCluster, startAgentCluster } from "@pancode/testing/agent-cluster";
import type { Cluster } from "@pancode/testing/cluster";
import { createRepo, type FixtureRepo } from "@pancode/testing/git";
import { loadScenario, type ModelServer, startModelServer } from "@pancode/testing/model-server";
import { protoPath as healthProtoPath } from "grpc-health-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Observability of a real cluster (coordinator + 1 worker as separate processes, NATS, Docker, the real Pi agent
// against the scripted model server): both processes serve /metrics, /healthz and /readyz on random ports and
// export the same metrics over OTLP to a collector on loopback; the coordinator answers grpc.health.v1.Health.

const SCENARIOS = join(import.meta.dirname, "..", "fixtures", "scenarios");

/** The metric names of issue 15, as Prometheus sees them (histograms by their family name). */
const COORDINATOR_METRICS = [
  "pancode_runs_total",
  "pancode_run_duration_seconds",
  "pancode_queue_wait_seconds",
  "pancode_queue_depth",
  "pancode_admissions_total",
  "pancode_budget_ceiling_usd",
  "pancode_budget_spent_usd",
  "pancode_budget_reserved_usd",
  "pancode_cost_usd_total",
  "pancode_tokens_total",
  "pancode_redeliveries_total",
  "pancode_workers",
  "pancode_ready",
  "rpc_server_duration_seconds",
];
const WORKER_METRICS = [
  "pancode_worker_slots",
  "pancode_worker_active_runs",
  "pancode_container_start_seconds",
  "pancode_workspace_prepare_seconds",
  "pancode_patch_bytes",
  "pancode_model_requests_total",
  "pancode_model_request_duration_seconds",
  "pancode_ready",
  // Node runtime metrics (@opentelemetry/instrumentation-runtime-node).
  "nodejs_eventloop_utilization",
  "v8js_memory_heap_used",
];

/** The body of GET /readyz. */
interface ReadyBody {
  status: string;
  checks: { name: string; state: string; error?: string }[];
}

let models: ModelServer;
let agents: AgentCluster;
let cluster: Cluster;
let repo: FixtureRepo;
let collector: Server;
/** service.name of every OTLP metrics export the collector received. */
const otlpMetricServices = new Set<string>();

function startCollector(): Promise<number> {
  collector = createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      if (req.url === "/v1/metrics") {
        const doc = JSON.parse(body) as {
          resourceMetrics: { resource: { attributes: { key: string; value: { stringValue?: string } }[] } }[];
        };
        for (const rm of doc.resourceMetrics) {
          const attrs = Object.fromEntries(rm.resource.attributes.map((a) => [a.key, a.value.stringValue]));
          if (attrs["service.instance.id"] && attrs["service.version"])
            otlpMetricServices.add(attrs["service.name"] ?? "");
        }
      }
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  return new Promise((resolve) =>
    collector.listen(0, "127.0.0.1", () => resolve((collector.address() as AddressInfo).port)),
  );
}

/** The ops listener's base URL a process logged at start (`"metrics":"http://127.0.0.1:port/metrics"`). */
function opsBase(logs: string): string {
  const match = logs.match(/"metrics":"(http:\/\/127\.0\.0\.1:\d+)\/metrics"/);
  if (!match?.[1]) throw new Error(`no metrics endpoint in the logs:\n${logs}`);
  return match[1];
}
const coordinatorOps = () => opsBase(cluster.coordinatorLogs());
const workerOps = () => opsBase(cluster.workers[0]?.logs() ?? "");

async function scrape(base: string): Promise<string> {
  const response = await fetch(`${base}/metrics`);
  expect(response.status).toBe(200);
  return response.text();
}

/** Metric families of a scrape, from its `# TYPE` lines. */
function families(text: string): string[] {
  return [...text.matchAll(/^# TYPE (\S+) \S+$/gm)].map((m) => m[1] as string);
}

function promtoolCheck(text: string): { status: number | null; output: string } {
  const result = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
  if (result.error) throw new Error(`promtool is required (Debian package prometheus): ${result.error.message}`);
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

function healthCheck(address: string, service = ""): Promise<string> {
  const definition = loadSync(healthProtoPath, { keepCase: true, enums: String });
  // biome-ignore lint/suspicious/noExplicitAny: a dynamically loaded gRPC package has no static type.
  const health = (loadPackageDefinition(definition) as any).grpc.health.v1.Health;
  const client = new health(address, credentials.createInsecure());
  return new Promise((resolve, reject) => {
    client.Check({ service }, (err: Error | null, response: { status: string }) => {
      client.close();
      if (err) reject(err);
      else resolve(response.status);
    });
  });
}

async function dispatch(args: string[]): Promise<{ code: number; runId: string; status: string }> {
  const result = await cluster.cli(["dispatch", ...args, "--wait", "--json"], { cwd: repo.dir, timeoutMs: 120_000 });
  const run = JSON.parse(result.stdout || "{}");
  return { code: result.code, runId: run.runId, status: run.status };
}

beforeAll(async () => {
  const otlpPort = await startCollector();
  const otel = {
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${otlpPort}`,
    OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
    OTEL_METRIC_EXPORT_INTERVAL: "500",
    OTEL_BSP_SCHEDULE_DELAY: "100",
    OTEL_LOGS_EXPORTER: "none",
  };
  models = await startModelServer({
    scenarios: { slow: await loadScenario(join(SCENARIOS, "slow-growing-usage.yaml")) },
  });
  agents = await startAgentCluster({
    providers: [
      {
        name: "scripted",
        api: "openai-completions",
        baseUrl: models.openaiBaseUrl,
        models: [{ id: "slow", price: { input: 1, output: 2 } }],
      },
    ],
    defaultModel: "scripted/slow",
    apiKey: "sk-scripted-metrics-health",
    coordinatorEnv: { PANCODE_METRICS_LISTEN: "127.0.0.1:0", ...otel },
    workerEnv: { PANCODE_METRICS_LISTEN: "127.0.0.1:0", ...otel },
  });
  cluster = agents.cluster;
  repo = await createRepo({ files: { "README.md": "# demo\n" } });
  // Runs of every outcome the metrics distinguish: a shell run done, one in error, and an agent run with a model.
  expect((await dispatch(["echo hi > hi.txt", "--agent", "shell"])).status).toBe("done");
  expect((await dispatch(["exit 3", "--agent", "shell"])).status).toBe("error");
  expect((await dispatch(["Look around", "--agent", "dev"])).status).toBe("done");
  // And a refusal (gate agent), counted by the admissions.
  expect((await cluster.cli(["dispatch", "true", "--agent", "no-such-agent"], { cwd: repo.dir })).code).not.toBe(0);
}, 300_000);

afterAll(async () => {
  await repo?.cleanup();
  await agents?.stop();
  await models?.stop();
  collector?.close();
});

describe("metrics", () => {
  it("the coordinator's scrape has every metric of the issue, with their labels, and passes promtool", async () => {
    const text = await scrape(coordinatorOps());
    expect(families(text)).toEqual(expect.arrayContaining(COORDINATOR_METRICS));
    expect(text).toMatch(/pancode_runs_total\{[^}]*status="error"[^}]*agent="shell"[^}]*team=""[^}]*\} 1/);
    expect(text).toMatch(/pancode_runs_total\{[^}]*status="done"[^}]*agent="dev"[^}]*\} 1/);
    expect(text).toMatch(/pancode_admissions_total\{result="refused",gate="agent"\} 1/);
    expect(text).toMatch(/pancode_tokens_total\{agent="dev",model="scripted\/slow",team="",kind="input"\} 31000/);
    expect(text).toMatch(/pancode_workers\{state="live"\} 1/);
    expect(text).toMatch(/rpc_server_duration_seconds_count\{[^}]*rpc_method="Dispatch"[^}]*rpc_grpc_status_code="0"/);
    expect(text).toMatch(/target_info\{[^}]*service_name="pancode-coordinator"/);
    const check = promtoolCheck(text);
    expect(check.status, check.output).toBe(0);
  });

  it("the worker's scrape has its metrics, model requests by HTTP status and the Node runtime, and passes promtool", async () => {
    const text = await scrape(workerOps());
    expect(families(text)).toEqual(expect.arrayContaining(WORKER_METRICS));
    expect(text).toMatch(/pancode_model_requests_total\{provider="scripted",model="slow",status="200"\} 5/);
    expect(text).toMatch(/pancode_worker_slots\{worker="w1"\} \d+/);
    expect(text).toMatch(/target_info\{[^}]*service_name="pancode-worker"[^}]*service_instance_id="w1"/);
    const check = promtoolCheck(text);
    expect(check.status, check.output).toBe(0);
  });

  it("both processes export their metrics over OTLP too, each under its own service name", async () => {
    for (let i = 0; i < 50 && otlpMetricServices.size < 2; i++) await new Promise((r) => setTimeout(r, 200));
    expect([...otlpMetricServices].sort()).toEqual(["pancode-coordinator", "pancode-worker"]);
  });
});

describe("logs", () => {
  it("a line written inside a span carries its trace_id and span_id", () => {
    const admitted = cluster
      .coordinatorLogs()
      .split("\n")
      .filter((l) => l.includes('"msg":"run admitted"'))
      .map((l) => JSON.parse(l));
    expect(admitted.length).toBeGreaterThan(0);
    expect(admitted[0]).toMatchObject({ trace_id: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect(admitted[0]).toMatchObject({ span_id: expect.stringMatching(/^[0-9a-f]{16}$/) });
  });

  it("no secret the processes hold appears in their logs (debug level)", () => {
    const logs = `${cluster.coordinatorLogs()}\n${cluster.workers[0]?.logs()}`;
    const secrets = [cluster.clientToken, cluster.workerToken, cluster.nats.worker.pass, cluster.nats.coordinator.pass];
    for (const secret of [...secrets, "sk-scripted-metrics-health"]) expect(logs).not.toContain(secret);
  });
});

describe("health", () => {
  it("/healthz answers 200 and /readyz names each check, on both processes", async () => {
    for (const base of [coordinatorOps(), workerOps()]) {
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
    }
    const coordinator = await fetch(`${coordinatorOps()}/readyz`);
    expect(coordinator.status).toBe(200);
    expect(((await coordinator.json()) as ReadyBody).checks).toEqual([
      { name: "database", state: "ok" },
      { name: "bus", state: "ok" },
      { name: "admissions", state: "ok" },
    ]);
    const worker = await fetch(`${workerOps()}/readyz`);
    expect(worker.status).toBe(200);
    expect(((await worker.json()) as ReadyBody).checks).toEqual([
      { name: "docker", state: "ok" },
      { name: "bus", state: "ok" },
      { name: "coordinator", state: "ok" },
    ]);
  });

  it("grpc.health.v1.Health on the coordinator's port says SERVING", async () => {
    expect(await healthCheck(cluster.address)).toBe("SERVING");
    expect(await healthCheck(cluster.address, "pancode.v1.ClientService")).toBe("SERVING");
  });

  it("after `pancode drain` the coordinator is not ready (503, admissions failing) and not serving", async () => {
    const drained = await cluster.cli(["drain", "--json"], { cwd: repo.dir });
    expect(drained.code, drained.stderr).toBe(0);
    const response = await fetch(`${coordinatorOps()}/readyz`);
    expect(response.status).toBe(503);
    const body = (await response.json()) as ReadyBody;
    expect(body.status).toBe("not ready");
    expect(body.checks).toContainEqual({
      name: "admissions",
      state: "failing",
      error: "draining: no new runs are admitted",
    });
    expect(await healthCheck(cluster.address)).toBe("NOT_SERVING");
    expect(await scrape(coordinatorOps())).toMatch(/^pancode_ready 0$/m);
    // Alive all the same: a drained coordinator must not be restarted by a liveness probe.
    expect((await fetch(`${coordinatorOps()}/healthz`)).status).toBe(200);
  });

  it("with NATS stopped, coordinator and worker are not ready and name the bus (last: it takes the bus away)", async () => {
    await cluster.stopBus();
    for (const base of [coordinatorOps(), workerOps()]) {
      const response = await fetch(`${base}/readyz`);
      expect(response.status).toBe(503);
      const body = (await response.json()) as ReadyBody;
      expect(body.checks.find((c) => c.name === "bus")).toMatchObject({ state: "failing" });
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
    }
  });
});

// promtool is a test dependency like Docker: without it the test fails rather than skipping.
execFileSync("promtool", ["--version"], { stdio: "ignore" });
