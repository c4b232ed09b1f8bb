import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Summary } from "./stats.js";

/** Largest p50(pipeline) / p50(bare docker run) the pipeline may cost: the bench's target. */
export const TARGET_RATIO = 1.5;

/** Everything one bench run found; written as JSON next to the printed report. */
export interface BenchResult {
  bench: "dispatch";
  timestamp: string;
  runs: number;
  warmup: number;
  target: { ratioP50Max: number };
  verdict: "PASS" | "MISS";
  ratioP50: number;
  pipeline: Summary;
  docker: Summary;
  /** Client-side snapshot + upload before the measured runs (not part of the pipeline figure). */
  workspaceUpload: Summary;
  setup: Record<string, unknown>;
  breakdown?: {
    stages: { stage: string; summary: Summary }[];
    hardenedDocker: Summary;
    worktreeCycle: Record<string, Summary>;
  };
  samples: { pipelineMs: number[]; dockerMs: number[] };
}

const fmt = (ms: number) => (Number.isFinite(ms) ? ms.toFixed(1).padStart(8) : "       -");

function row(label: string, s: Summary, width = 30): string {
  return `${label.padEnd(width)} ${fmt(s.p50)} ${fmt(s.p95)} ${fmt(s.mean)} ${fmt(s.min)} ${fmt(s.max)}   n=${s.n}`;
}

function header(label: string, width = 30): string {
  return `${label.padEnd(width)} ${"p50".padStart(8)} ${"p95".padStart(8)} ${"mean".padStart(8)} ${"min".padStart(8)} ${"max".padStart(8)}`;
}

/** The human report: both summaries, the ratio and the verdict; with a breakdown, the stage table too. */
export function formatReport(r: BenchResult): string {
  const lines = [
    "",
    `dispatch latency, ${r.runs} runs each after ${r.warmup} warm-up runs (ms)`,
    header(""),
    row("pipeline (dispatch -> done)", r.pipeline),
    row("docker run --rm (bare)", r.docker),
    row("workspace upload (client)", r.workspaceUpload),
    "",
    `ratio p50(pipeline) / p50(docker) = ${r.ratioP50.toFixed(2)}  (target <= ${r.target.ratioP50Max})  ${r.verdict}`,
  ];
  if (r.breakdown) {
    const w = 48;
    lines.push("", "where the pipeline's time goes (per run, ms)", header("stage", w));
    for (const s of r.breakdown.stages) lines.push(row(s.stage, s.summary, w));
    lines.push("", header("reference", w), row("docker run with the sandbox's options", r.breakdown.hardenedDocker, w));
    for (const [step, s] of Object.entries(r.breakdown.worktreeCycle)) lines.push(row(`git alone: ${step}`, s, w));
  }
  return `${lines.join("\n")}\n`;
}

/** Writes `bench/results/dispatch-<timestamp>.json` and returns its path. */
export async function writeResult(benchDir: string, r: BenchResult): Promise<string> {
  const dir = join(benchDir, "results");
  await mkdir(dir, { recursive: true });
  const path = join(dir, `dispatch-${r.timestamp.replace(/[:.]/g, "-")}.json`);
  await writeFile(path, `${JSON.stringify(r, null, 2)}\n`);
  return path;
}
