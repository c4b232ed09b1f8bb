import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type AgentCluster, startAgentCluster } from "@pancode/testing/agent-cluster";
import { type Cluster, REPO_ROOT, stopProcess } from "@pancode/testing/cluster";
import { createRepo, type FixtureRepo } from "@pancode/testing/git";
import { loadScenario, type ModelServer, startModelServer } from "@pancode/testing/model-server";
import {
  PROMETHEUS,
  PROMTOOL,
  type PrometheusServer,
  type PromQueryResponse,
  startPrometheus,
} from "@pancode/testing/prometheus";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";

// The shipped dashboards and alert rules against live data: a real cluster (coordinator, two workers, Docker, the
// real Pi agent against the scripted model server) runs runs of every outcome, a real Prometheus scrapes every
// process each second and evaluates deploy/prometheus/pancode-rules.yml, and every panel query of every dashboard
// and every rule expression goes through Prometheus's HTTP API: each must parse, and each panel must return data.

const DASHBOARDS = join(REPO_ROOT, "deploy/grafana/dashboards");
const RULES = join(REPO_ROOT, "deploy/prometheus/pancode-rules.yml");
const RULE_TESTS = join(REPO_ROOT, "deploy/prometheus/tests");
const SCENARIOS = join(import.meta.dirname, "..", "fixtures", "scenarios");
// In CI a missing tool is a failure (setup-machine.sh installs it), never a silent skip.
const skipMissing = (!PROMETHEUS || !PROMTOOL) && process.env.CI !== "true";

/**
 * Grafana's own variables, which Prometheus does not know, replaced before a query is sent. $__rate_interval is
 * 30 s: at the test's 1 s scrape interval a counter has many samples in it (Grafana would pick 4 x scrape interval).
 * $__range stands for the dashboard's time range; the cluster lives a few minutes, so 5m covers all of it.
 */
const GRAFANA_VARIABLES: Record<string, string> = { $__rate_interval: "30s", $__range: "5m", $__interval: "5s" };

/** Jobs as named in deploy/prometheus/prometheus.yml: the rules and the dashboards select on them. */
const COORDINATOR_JOB = "pancode-coordinator";
const WORKER_JOB = "pancode-worker";

/** The dashboards' datasource variable, which Grafana's provisioning resolves to the Prometheus datasource. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a JavaScript template.
const DATASOURCE_VARIABLE = "${datasource}";

/** How each process announces its Prometheus endpoint in its start-up log line. */
const METRICS_IN_LOGS = /"metrics":"(http:\/\/127\.0\.0\.1:\d+\/metrics)"/;

interface PanelQuery {
  /** `<file> / <panel title>` (or `rule <alert>`). */
  panel: string;
  where: string;
  expr: string;
}

interface GrafanaPanel {
  title?: string;
  panels?: GrafanaPanel[];
  targets?: { refId?: string; expr?: string }[];
}

function withGrafanaVariables(expr: string): string {
  return Object.entries(GRAFANA_VARIABLES).reduce((e, [name, value]) => e.replaceAll(name, value), expr);
}

/** Every panel target of every dashboard JSON (rows' nested panels included). */
function panelQueries(): PanelQuery[] {
  const queries: PanelQuery[] = [];
  for (const file of readdirSync(DASHBOARDS).filter((f) => f.endsWith(".json"))) {
    const dashboard = JSON.parse(readFileSync(join(DASHBOARDS, file), "utf8")) as { panels: GrafanaPanel[] };
    const visit = (panel: GrafanaPanel) => {
      for (const target of panel.targets ?? []) {
        const name = `${file} / ${panel.title}`;
        if (target.expr) queries.push({ panel: name, where: `${name} / ${target.refId}`, expr: target.expr });
      }
      for (const nested of panel.panels ?? []) visit(nested);
    };
    for (const panel of dashboard.panels) visit(panel);
  }
  return queries;
}

function ruleQueries(): PanelQuery[] {
  const file = parse(readFileSync(RULES, "utf8")) as { groups: { rules: { alert: string; expr: string }[] }[] };
  return file.groups.flatMap((g) =>
    g.rules.map((r) => ({ panel: `rule ${r.alert}`, where: `rule ${r.alert}`, expr: r.expr })),
  );
}

/**
 * The metrics endpoint of every live process, by job: the one place that knows how the cluster's processes report
 * theirs. A worker that logs none (no metrics endpoint yet) is left out and named, so its panels show as no-data.
 */
function metricsEndpoints(cluster: Cluster): { jobs: Record<string, string[]>; silent: string[] } {
  const coordinator = cluster.coordinatorLogs().match(METRICS_IN_LOGS)?.[1];
  if (!coordinator) throw new Error(`the coordinator logged no metrics endpoint:\n${cluster.coordinatorLogs()}`);
  const live = cluster.workers.filter((w) => w.process.exitCode === null && w.process.signalCode === null);
  const workers = live.map((w) => ({ id: w.id, url: w.logs().match(METRICS_IN_LOGS)?.[1] }));
  return {
    jobs: {
      [COORDINATOR_JOB]: [coordinator],
      [WORKER_JOB]: workers.flatMap((w) => (w.url ? [w.url] : [])),
    },
    silent: workers.filter((w) => !w.url).map((w) => w.id),
  };
}

function resultOf(response: PromQueryResponse): unknown[] {
  const result = response.data?.result;
  return Array.isArray(result) ? result : [];
}

let models: ModelServer;
let agents: AgentCluster;
let cluster: Cluster;
let repo: FixtureRepo;
let prometheus: PrometheusServer;
let silentWorkers: string[] = [];

async function dispatch(args: string[]): Promise<{ code: number; run: Record<string, unknown>; stderr: string }> {
  const result = await cluster.cli(["dispatch", ...args, "--json"], { cwd: repo.dir, timeoutMs: 180_000 });
  let run: Record<string, unknown> = {};
  try {
    run = JSON.parse(result.stdout);
  } catch (_err) {
    // A refused dispatch prints no run; its stderr says why.
  }
  return { code: result.code, run, stderr: result.stderr };
}

/** Polls `read` until `done` holds (expect.poll works only inside a test; this runs in beforeAll). */
async function pollUntil<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value)) {
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    value = await read();
  }
  return value;
}

async function showRun(runId: string): Promise<Record<string, unknown>> {
  return JSON.parse((await cluster.cli(["show", runId, "--json"], { cwd: repo.dir })).stdout);
}

/** A run whose worker is SIGKILLed mid-run, so the coordinator redelivers it to the other worker. */
async function redeliveredRun(): Promise<void> {
  const { run } = await dispatch(["sleep 3; echo again > again.txt", "--agent", "shell"]);
  const runId = run.runId as string;
  const status = async () => (await showRun(runId)).status;
  await pollUntil(`run ${runId} running`, status, (s) => s === "running");
  const holder = (await showRun(runId)).workerId as string;
  const victim = cluster.workers.find((w) => w.id === holder);
  if (!victim) throw new Error(`run ${runId} is on unknown worker ${holder}`);
  victim.process.kill("SIGKILL");
  await pollUntil(`run ${runId} redelivered and done`, status, (s) => s === "done", 90_000);
  expect((await showRun(runId)).attempt).toBe(2);
  // Back to two workers, so both workers' metrics are scraped.
  await stopProcess(victim.process);
  await cluster.startWorker(`${holder}-again`);
}

/** Runs of every outcome, and the two kinds of refusal. */
async function runEveryOutcome(): Promise<void> {
  // First: the SIGKILLed worker's own counters restart with it, so a model run it had served would vanish from the
  // scrape. Every run after this one is counted by a worker that stays up.
  await redeliveredRun();
  const [done, failed, timedOut, agent] = await Promise.all([
    dispatch(["echo ok > ok.txt", "--agent", "shell", "--wait", "--isolate"]),
    dispatch(["exit 3", "--agent", "shell", "--wait", "--isolate"]),
    dispatch(["sleep 60", "--agent", "shell", "--timeout", "2s", "--wait", "--isolate"]),
    dispatch(["Look around", "--agent", "dev", "--wait", "--isolate"]),
  ]);
  expect(done.run.status, done.stderr).toBe("done");
  expect(failed.run.status, failed.stderr).toBe("error");
  expect(timedOut.run.status, timedOut.stderr).toBe("timeout");
  expect(agent.run.status, agent.stderr).toBe("done");

  const refusedByMode = await dispatch(["true", "--agent", "shell", "--mode", "plan"]);
  expect(refusedByMode.code).not.toBe(0);
  expect(refusedByMode.stderr).toContain("Dispatch blocked: dispatch is disabled in Plan mode");
  // Spent so far ($0.0372, the dev run) plus the next dev run's estimate (the average, $0.0372) passes $0.05.
  const set = await cluster.cli(["budget", "set", "0.05"], { cwd: repo.dir });
  expect(set.code, set.stderr).toBe(0);
  const refusedByBudget = await dispatch(["Look around", "--agent", "dev"]);
  expect(refusedByBudget.code).toBe(4);
  expect(refusedByBudget.stderr).toContain("Budget ceiling would be exceeded");
}

/** Waits until Prometheus holds at least `samples` scrapes of every target, so rates have points to work on. */
async function waitForScrapes(samples: number): Promise<void> {
  const fewestScrapes = async () => {
    const response = await prometheus.query('min(count_over_time(up{job=~"pancode-.*"}[1m]))');
    return Number((resultOf(response)[0] as { value?: [number, string] } | undefined)?.value?.[1] ?? 0);
  };
  await pollUntil(`${samples} scrapes of every target`, fewestScrapes, (n) => n >= samples);
}

beforeAll(async () => {
  if (skipMissing) return;
  models = await startModelServer({
    scenarios: { slow: await loadScenario(join(SCENARIOS, "slow-growing-usage.yaml")) },
  });
  const metricsOn = { PANCODE_METRICS_LISTEN: "127.0.0.1:0" };
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
    apiKey: "sk-scripted-dashboards",
    workers: 2,
    coordinatorEnv: { ...metricsOn, PANCODE_BUDGET_CEILING: "10", PANCODE_PER_RUN_BUDGET: "0.30" },
    workerEnv: { ...metricsOn, PANCODE_WORKER_CONCURRENCY: "2" },
  });
  cluster = agents.cluster;
  repo = await createRepo({ files: { "README.md": "# demo\n" } });
  await runEveryOutcome();
  const endpoints = metricsEndpoints(cluster);
  silentWorkers = endpoints.silent;
  prometheus = await startPrometheus({ jobs: endpoints.jobs, ruleFiles: [RULES], scrapeInterval: "1s" });
  await waitForScrapes(5);
});

afterAll(async () => {
  await prometheus?.stop();
  await repo?.cleanup();
  await agents?.stop();
  await models?.stop();
});

describe.skipIf(skipMissing)("the alert rules", () => {
  it("are named by deploy/prometheus/prometheus.yml, which promtool accepts", () => {
    const config = join(REPO_ROOT, "deploy/prometheus/prometheus.yml");
    const checked = spawnSync(PROMTOOL ?? "promtool", ["check", "config", config], { encoding: "utf8" });
    expect(checked.status, `${checked.stdout}${checked.stderr}`).toBe(0);
    expect(checked.stdout).toContain("SUCCESS: 1 rule files found");
  });

  it("pass promtool check rules and every unit test of deploy/prometheus/tests", () => {
    const checked = spawnSync(PROMTOOL ?? "promtool", ["check", "rules", RULES], { encoding: "utf8" });
    expect(checked.status, `${checked.stdout}${checked.stderr}`).toBe(0);
    expect(checked.stdout).toMatch(/SUCCESS: 6 rules found/);
    const tests = readdirSync(RULE_TESTS)
      .filter((f) => f.endsWith(".yml"))
      .map((f) => join(RULE_TESTS, f));
    expect(tests.length).toBeGreaterThan(0);
    const tested = spawnSync(PROMTOOL ?? "promtool", ["test", "rules", ...tests], { encoding: "utf8" });
    expect(tested.status, `${tested.stdout}${tested.stderr}`).toBe(0);
  });

  it("each parse and evaluate against the live cluster's metrics", async () => {
    const queries = ruleQueries();
    expect(queries).toHaveLength(6);
    const failures: string[] = [];
    for (const { where, expr } of queries) {
      const response = await prometheus.query(expr);
      if (response.status !== "success") failures.push(`${where}: ${response.errorType}: ${response.error}`);
    }
    expect(failures).toEqual([]);
    // The server evaluated the same file without error (a rule that fails at evaluation time is logged and skipped).
    const rules = (await (await fetch(`${prometheus.url}/api/v1/rules`)).json()) as {
      data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] };
    };
    const unhealthy = rules.data.groups.flatMap((g) => g.rules).filter((r) => r.health === "err");
    expect(unhealthy).toEqual([]);
  });

  it("raise no availability alert on a healthy cluster (coordinator ready, two live workers)", async () => {
    const alerts = await prometheus.query('ALERTS{alertname=~"PanCodeCoordinatorNotReady|PanCodeNoLiveWorker"}');
    expect(alerts.status).toBe("success");
    expect(resultOf(alerts)).toEqual([]);
  });
});

describe.skipIf(skipMissing)("the dashboards", () => {
  it("are Grafana dashboards with unique uids and panel ids, querying the provisioned Prometheus", () => {
    const files = readdirSync(DASHBOARDS).filter((f) => f.endsWith(".json"));
    expect(files.sort()).toEqual(["cluster-overview.json", "model-usage.json"]);
    const uids = new Set<string>();
    for (const file of files) {
      const dashboard = JSON.parse(readFileSync(join(DASHBOARDS, file), "utf8")) as {
        uid: string;
        panels: (GrafanaPanel & { id: number; datasource?: { uid?: string } })[];
      };
      uids.add(dashboard.uid);
      const ids = dashboard.panels.map((p) => p.id);
      expect(new Set(ids).size, file).toBe(ids.length);
      for (const panel of dashboard.panels.filter((p) => p.targets)) {
        expect(panel.datasource?.uid, `${file} / ${panel.title}`).toBe(DATASOURCE_VARIABLE);
      }
    }
    expect(uids.size).toBe(files.length);
  });

  it("every panel query parses and returns data from the live cluster", async () => {
    const queries = panelQueries();
    expect(queries.length).toBeGreaterThan(20);
    const failures: string[] = [];
    const panelsFailing = new Set<string>();
    for (const { panel, where, expr } of queries) {
      const response = await prometheus.query(withGrafanaVariables(expr));
      const failure =
        response.status !== "success"
          ? `${where}: ${response.errorType}: ${response.error}`
          : resultOf(response).length === 0
            ? `${where}: no data for ${expr}`
            : undefined;
      if (failure) {
        failures.push(failure);
        panelsFailing.add(panel);
      }
    }
    const panels = new Set(queries.map((q) => q.panel));
    const note = silentWorkers.length ? `\nworkers without a metrics endpoint: ${silentWorkers.join(", ")}` : "";
    console.log(
      `panels with data: ${panels.size - panelsFailing.size} of ${panels.size} ` +
        `(queries: ${queries.length - failures.length} of ${queries.length})\n` +
        `queries without data or failing:\n  ${failures.join("\n  ")}${note}`,
    );
    expect(failures).toEqual([]);
  });
});
