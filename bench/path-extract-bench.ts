/**
 * `npm run bench` (second part): how long admission's path gate (gate 6: extract the paths a task names, resolve
 * them against the workspace tree) takes on a short task, on 64 KB of ordinary prose, and on 64 KB adversarial
 * tasks, all in the same run, with the ratio of each to the short task and to the 64 KB prose. The gate runs on the
 * coordinator's event loop, so a slow task stalls every other client; linear extraction keeps an adversarial 64 KB
 * task within a small factor of ordinary 64 KB prose. A measurement, not a test: it always exits 0.
 *
 * ```sh
 * npx tsx bench/path-extract-bench.ts [--reps 15]
 * ```
 */
import { performance } from "node:perf_hooks";
import { checkPaths, type TreeLookup } from "../apps/coordinator/src/services/path-check.js";

const KB64 = 64 * 1024;

/** A workspace tree of a small project, with a symlink inside and one pointing out. */
function benchTree(): TreeLookup {
  const files = new Map<string, { mode: string; oid: string }>();
  for (const f of ["src/auth/login.ts", "src/auth/session.ts", "src/api/users.ts", "README.md", "package.json"]) {
    files.set(f, { mode: "100644", oid: "0" });
  }
  files.set("docs", { mode: "120000", oid: "0" });
  files.set("etc-link", { mode: "120000", oid: "0" });
  const dirs = new Set(["", "src", "src/auth", "src/api"]);
  const links: Record<string, string> = { docs: "src", "etc-link": "/etc" };
  return { files, isDirectory: (p) => dirs.has(p), readLink: async (p) => links[p] ?? "" };
}

/** Repeats `unit` up to 64 KB. */
function fill(unit: string, prefix = "", suffix = ""): string {
  return prefix + unit.repeat(Math.floor((KB64 - prefix.length - suffix.length) / unit.length)) + suffix;
}

/** The short task everything is compared with, and the adversarial ones (each 64 KB). */
const SHORT = "Review the authentication module in src/auth/ for security issues, see README.md.";
const PROSE = `${SHORT} `;

const TASKS: Record<string, string> = {
  "short task": SHORT,
  "64 KB of ordinary prose": fill(PROSE),
  "64 KB of '.' after a word": fill(".", "a", "b"),
  "64 KB of ':!?' runs in a word": fill(":!?", "src/a", "x"),
  "64 KB of ':!?' after a path": fill(":!?", "src/a.ts"),
  "64 KB slash run": fill("/", "a"),
  "64 KB of 'a/' segments": fill("a/", "src/"),
  "64 KB of 'src/../' inside the tree": fill("src/../", "", "README.md"),
  "64 KB of distinct paths": Array.from({ length: 8000 }, (_, i) => `src/f${i}.ts`)
    .join(" ")
    .slice(0, KB64),
};

/**
 * Median wall time of `reps` runs of the gate on `task` (after one warm-up run), in milliseconds, and how the gate
 * answered.
 */
async function time(task: string, tree: TreeLookup, reps: number): Promise<{ ms: number; outcome: string }> {
  const samples: number[] = [];
  let outcome = "";
  for (let i = -1; i < reps; i++) {
    const start = performance.now();
    try {
      const warnings = await checkPaths(task, async () => tree);
      outcome = `admitted, ${warnings.length} warning(s)`;
    } catch (e) {
      outcome = `refused: ${(e as Error).message.slice(0, 60)}`;
    }
    if (i >= 0) samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return { ms: samples[Math.floor(samples.length / 2)] ?? 0, outcome };
}

async function main(): Promise<void> {
  const repsFlag = process.argv.indexOf("--reps");
  const reps = repsFlag >= 0 ? Number(process.argv[repsFlag + 1]) : 15;
  const tree = benchTree();
  // The JIT warms up on the short task first, so the baselines are not first calls.
  await time(SHORT, tree, 50);
  const short = await time(SHORT, tree, Math.max(reps, 50));
  const prose = await time(TASKS["64 KB of ordinary prose"] ?? "", tree, reps);
  console.log(`path gate (extract + admit), median of ${reps} runs; baselines measured in this run`);
  console.log(
    `${"task".padEnd(36)} ${"bytes".padStart(6)} ${"ms".padStart(8)} ${"x short".padStart(8)} ${"x prose".padStart(8)}  outcome`,
  );
  for (const [name, task] of Object.entries(TASKS)) {
    const result =
      name === "short task" ? short : name === "64 KB of ordinary prose" ? prose : await time(task, tree, reps);
    const ratio = (base: number) => (result.ms / Math.max(base, 0.001)).toFixed(1).padStart(8);
    console.log(
      `${name.padEnd(36)} ${String(task.length).padStart(6)} ${result.ms.toFixed(3).padStart(8)} ${ratio(short.ms)} ${ratio(prose.ms)}  ${result.outcome}`,
    );
  }
}

await main();
