import { mkdir, writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { round } from "../stats.js";

/** bench/results: every suite writes its JSON and chart here (gitignored). */
const RESULTS_DIR = fileURLToPath(new URL("../results/", import.meta.url));

/** A target next to a figure: met or missed, never an exit code. */
export interface Target {
  figure: string;
  value: number;
  target: string;
  verdict: "PASS" | "MISS";
}

/** `value` against `limit` with `op`, as printed and stored next to the figure. */
export function target(figure: string, value: number, op: "<=" | ">=", limit: number): Target {
  const met = op === "<=" ? value <= limit : value >= limit;
  return { figure, value, target: `${op} ${limit}`, verdict: met ? "PASS" : "MISS" };
}

/** One line per target: `figure = value  (target op limit)  PASS`. */
export function formatTargets(targets: readonly Target[]): string {
  return targets.map((t) => `${t.figure} = ${t.value}  (target ${t.target})  ${t.verdict}`).join("\n");
}

/** What every suite file carries besides its own figures. */
function machine(): Record<string, unknown> {
  return { cpus: cpus().length, node: process.version, loadavg: loadavg().map(round) };
}

/**
 * Writes `bench/results/<suite>-<timestamp>.json` (the figures under the suite's own key, so `admissions.perSecond`
 * reads as a path) and, with a chart, the `.svg` of the same name. Returns both paths.
 */
export async function writeSuite(
  suite: string,
  figures: Record<string, unknown>,
  extra: { targets: readonly Target[]; setup?: Record<string, unknown>; chart?: string },
): Promise<{ json: string; svg?: string }> {
  await mkdir(RESULTS_DIR, { recursive: true });
  const timestamp = new Date().toISOString();
  const base = join(RESULTS_DIR, `${suite}-${timestamp.replace(/[:.]/g, "-")}`);
  const body = { suite, timestamp, [suite]: figures, targets: extra.targets, setup: { ...machine(), ...extra.setup } };
  await writeFile(`${base}.json`, `${JSON.stringify(body, null, 2)}\n`);
  if (!extra.chart) return { json: `${base}.json` };
  await writeFile(`${base}.svg`, extra.chart);
  return { json: `${base}.json`, svg: `${base}.svg` };
}

export function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}
