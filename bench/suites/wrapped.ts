/**
 * The suites that existed before `--suite`: each script runs unchanged as its own process (so its internals and its
 * own JSON stay as they are); this wrapper reads what it wrote or printed and writes the suite's file and chart.
 */
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { Summary } from "../stats.js";
import { distributionChart, lineChart } from "../svg-chart.js";
import { formatTargets, log, type Target, target, writeSuite } from "./suite-result.js";

export type WrappedSuite = "dispatch" | "cli" | "proxy" | "paths" | "uploads";

const SCRIPTS: Record<WrappedSuite, string> = {
  dispatch: "dispatch-bench.ts",
  cli: "cli-start-bench.ts",
  proxy: "model-proxy-bench.ts",
  paths: "path-extract-bench.ts",
  uploads: "upload-rss-bench.ts",
};

/** Issue 17 item 1: a whole `pancode dispatch --wait` at most 1.25x a bare `docker run` of the same image. */
const TARGET_DISPATCH_WAIT_RATIO = 1.25;
/** bench/report.ts's target for the pipeline alone. */
const TARGET_PIPELINE_RATIO = 1.5;

/** Runs one bench script with tsx, echoing its stdout, and resolves with that stdout. */
function runScript(script: string, args: readonly string[]): Promise<string> {
  const path = fileURLToPath(new URL(`../${script}`, import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", path, ...args], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      process.stdout.write(d);
    });
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`${script} exited with ${code}`))));
  });
}

async function writtenJson(stdout: string): Promise<Record<string, unknown>> {
  const path = stdout.match(/^wrote (\S+\.json)$/m)?.[1];
  if (!path) throw new Error("the script printed no `wrote <file>.json` line");
  return { ...(JSON.parse(await readFile(path, "utf8")) as Record<string, unknown>), source: path };
}

/** The numbers of a printed table row after its label (`1.2`, `3.40x`, `-0.5`). */
function numbersAfter(line: string, labelWidth: number): number[] {
  return line
    .slice(labelWidth)
    .trim()
    .split(/\s+/)
    .map((t) => Number.parseFloat(t))
    .filter(Number.isFinite);
}

interface Extracted {
  figures: Record<string, unknown>;
  targets: Target[];
  chart?: string;
}

function fromDispatch(json: Record<string, unknown>): Extracted {
  const r = json as { ratioP50: number; pipeline: Summary; docker: Summary; samples: Record<string, number[]> };
  return {
    figures: { ratioP50: r.ratioP50, pipeline: r.pipeline, docker: r.docker, source: json.source, raw: json },
    targets: [target("dispatch.ratioP50", r.ratioP50, "<=", TARGET_PIPELINE_RATIO)],
    chart: distributionChart({
      title: `Dispatch pipeline vs bare docker run (p50 ratio ${r.ratioP50})`,
      yLabel: "ms",
      series: [
        { label: "pipeline (dispatch -> done)", values: r.samples.pipelineMs ?? [] },
        { label: "docker run --rm (bare)", values: r.samples.dockerMs ?? [] },
      ],
    }),
  };
}

function fromCli(json: Record<string, unknown>): Extracted {
  const series = (json.dispatch ?? []) as { label: string; ratio: number; summary: Summary; samplesMs: number[] }[];
  const start = (json.start ?? []) as { label: string; ratio: number }[];
  const whole = series[1];
  if (!whole) throw new Error("cli-start-bench wrote no whole-dispatch series");
  return {
    figures: {
      dispatchWaitRatio: whole.ratio,
      dispatchWait: whole.summary,
      dockerRun: series[0]?.summary,
      startRatios: Object.fromEntries(start.map((s) => [s.label, s.ratio])),
      source: json.source,
    },
    targets: [target("cli.dispatchWaitRatio", whole.ratio, "<=", TARGET_DISPATCH_WAIT_RATIO)],
    chart: distributionChart({
      title: `Whole pancode dispatch --wait vs bare docker run (median ratio ${whole.ratio})`,
      yLabel: "ms, process spawn to exit",
      series: series.map((s) => ({ label: s.label.slice(0, 40), values: s.samplesMs })),
    }),
  };
}

function fromProxy(stdout: string): Extracted {
  const rows = stdout
    .split("\n")
    .filter((l) => / (ttfb|total) /.test(l))
    .map((l) => ({ label: l.slice(0, 34).trim(), n: numbersAfter(l, 34) }));
  const figures = Object.fromEntries(
    rows.map((r) => [r.label, { p50DirectMs: r.n[0], p50ProxiedMs: r.n[1], p50Ratio: r.n[2], p50AddedMs: r.n[3] }]),
  );
  return {
    figures: { rows: figures, report: stdout },
    targets: [],
    chart: distributionChart({
      title: "Model proxy: whole streamed call, direct vs through the proxy",
      yLabel: "ms (box spans p50..p95)",
      // Whole streamed calls only: four series fit the chart's width with their labels.
      series: rows
        .filter((r) => r.label.endsWith(" total"))
        .flatMap((r) => {
          const api = r.label.split(" ")[0] ?? r.label;
          return [
            { label: `${api} direct`, values: [r.n[0] ?? 0, r.n[4] ?? 0] },
            { label: `${api} proxied`, values: [r.n[1] ?? 0, r.n[5] ?? 0] },
          ];
        }),
    }),
  };
}

function fromPaths(stdout: string): Extracted {
  const rows = stdout
    .split("\n")
    .map((l) => ({ label: l.slice(0, 36).trim(), n: numbersAfter(l, 36) }))
    .filter((r) => r.n.length >= 4 && r.label !== "task");
  return {
    figures: { rows: Object.fromEntries(rows.map((r) => [r.label, { bytes: r.n[0], ms: r.n[1] }])), report: stdout },
    targets: [],
    chart: lineChart({
      title: "Path gate time against task size",
      xLabel: "task bytes",
      yLabel: "ms (median)",
      lines: [
        {
          label: "extract + admit",
          points: rows.map((r) => [r.n[0] ?? 0, r.n[1] ?? 0] as const).sort((a, b) => a[0] - b[0]),
        },
      ],
    }),
  };
}

function fromUploads(stdout: string): Extracted {
  const m = stdout.match(/VmRSS idle (\d+) MiB, peak sampled (\d+) MiB, after (\d+) MiB/);
  const [idle, peak, after] = [m?.[1], m?.[2], m?.[3]].map(Number);
  return {
    figures: { coordinatorRssMb: { idle, peak, after }, report: stdout },
    targets: [],
    chart: lineChart({
      title: "Coordinator VmRSS during concurrent uploads",
      xLabel: "0 = idle, 1 = peak sampled, 2 = after",
      yLabel: "MiB",
      lines: [
        {
          label: "VmRSS",
          points: [
            [0, idle ?? 0],
            [1, peak ?? 0],
            [2, after ?? 0],
          ],
        },
      ],
    }),
  };
}

/** Runs the script behind `suite` and writes `bench/results/<suite>-<timestamp>.json` and `.svg`. */
export async function wrappedSuite(suite: WrappedSuite, args: readonly string[]): Promise<void> {
  log(`${suite}: running bench/${SCRIPTS[suite]}`);
  const stdout = await runScript(SCRIPTS[suite], args);
  const extracted =
    suite === "dispatch"
      ? fromDispatch(await writtenJson(stdout))
      : suite === "cli"
        ? fromCli(await writtenJson(stdout))
        : suite === "proxy"
          ? fromProxy(stdout)
          : suite === "paths"
            ? fromPaths(stdout)
            : fromUploads(stdout);
  const written = await writeSuite(suite, extracted.figures, extracted);
  if (extracted.targets.length > 0) process.stdout.write(`${formatTargets(extracted.targets)}\n`);
  process.stdout.write(`wrote ${written.json}${written.svg ? ` and ${written.svg}` : ""}\n`);
}
