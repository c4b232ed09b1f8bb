/**
 * A real Prometheus server (Debian's `prometheus`, installed by scripts/setup-machine.sh) on a random loopback
 * port, scraping the given targets, for tests that evaluate dashboard queries and alert rules against live data.
 *
 * ```ts
 * const prom = await startPrometheus({ jobs: { "pancode-coordinator": [coordinatorMetricsUrl] }, ruleFiles });
 * const result = await prom.query('sum(rate(pancode_runs_total[30s]))');
 * await prom.stop();
 * ```
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { findOnPath } from "./find-on-path.js";

/** What `/api/v1/query` answers (https://prometheus.io/docs/prometheus/latest/querying/api/). */
export interface PromQueryResponse {
  status: "success" | "error";
  error?: string;
  errorType?: string;
  data?: { resultType: string; result: unknown };
}

/** A started Prometheus server. */
export interface PrometheusServer {
  url: string;
  /** Instant query at the current time. */
  query(expr: string): Promise<PromQueryResponse>;
  logs(): string;
  stop(): Promise<void>;
}

export interface PrometheusOptions {
  /** Scrape targets by job name, as metrics URLs (`http://127.0.0.1:9464/metrics`). */
  jobs: Record<string, string[]>;
  /** Rule files evaluated by the server (absolute paths). */
  ruleFiles?: string[];
  /** @default "1s" */
  scrapeInterval?: string;
}

/** The `prometheus` binary, or undefined when it is not installed. */
export const PROMETHEUS = findOnPath("prometheus");
/** The `promtool` binary, or undefined when it is not installed. */
export const PROMTOOL = findOnPath("promtool");

/** A Prometheus configuration scraping `jobs` (one static config per target, so each URL keeps its path). */
export function prometheusConfig(options: PrometheusOptions): Record<string, unknown> {
  const interval = options.scrapeInterval ?? "1s";
  return {
    global: { scrape_interval: interval, evaluation_interval: interval },
    rule_files: options.ruleFiles ?? [],
    scrape_configs: Object.entries(options.jobs).map(([job, urls]) => ({
      job_name: job,
      ...scrapeTargets(urls),
    })),
  };
}

// Prometheus takes one metrics path per scrape config; every PanCode endpoint serves /metrics, so one path suffices.
function scrapeTargets(urls: string[]): { metrics_path: string; static_configs: { targets: string[] }[] } {
  const parsed = urls.map((u) => new URL(u));
  const paths = new Set(parsed.map((u) => u.pathname));
  if (paths.size > 1) throw new Error(`targets of one job must share a metrics path: ${urls.join(", ")}`);
  return { metrics_path: [...paths][0] ?? "/metrics", static_configs: [{ targets: parsed.map((u) => u.host) }] };
}

export async function startPrometheus(options: PrometheusOptions): Promise<PrometheusServer> {
  if (!PROMETHEUS) throw new Error("prometheus is not installed: run scripts/setup-machine.sh");
  const dir = await mkdtemp(join(tmpdir(), "pancode-prometheus-"));
  const configFile = join(dir, "prometheus.yml");
  await writeFile(configFile, stringify(prometheusConfig(options)));
  const port = await freePort();
  const child = spawn(
    PROMETHEUS,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await stopChild(child);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitReady(url, child, () => output);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url,
    logs: () => output,
    async query(expr) {
      const response = await fetch(`${url}/api/v1/query`, {
        method: "POST",
        body: new URLSearchParams({ query: expr }),
      });
      return (await response.json()) as PromQueryResponse;
    },
    stop,
  };
}

async function waitReady(url: string, child: ChildProcess, logs: () => string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}:\n${logs()}`);
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`prometheus not ready on ${url} after 30 s:\n${logs()}`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
