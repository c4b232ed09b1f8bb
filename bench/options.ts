/** What one `npm run bench` invocation measures. */
export interface BenchOptions {
  /** Measured runs of each kind (pipeline and bare docker), after the warm-up. */
  runs: number;
  /** Unmeasured runs of each kind first: JIT, page cache, first bundle import, first NATS pull. */
  warmup: number;
  /** Print the per-stage breakdown and also time a `docker run` with the sandbox's hardening options. */
  breakdown: boolean;
}

/** Default of `--runs`: 20 of each kind keeps the whole bench well under two minutes on a 2-core machine. */
export const DEFAULT_RUNS = 20;
/** Warm-up runs of each kind, not counted. */
export const WARMUP_RUNS = 2;

/** Usage text of the bench. */
export const USAGE = `usage: npm run bench -- [--runs N] [--breakdown]

  --runs N      measured runs of each kind (default PANCODE_BENCH_RUNS or ${DEFAULT_RUNS})
  --breakdown   print where the pipeline's time goes, stage by stage, and time a docker run
                with the same hardening options as the sandbox
`;

function positiveInt(text: string, where: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < 1) {
    throw new Error(`${where} must be a positive integer, got "${text}"`);
  }
  return value;
}

/** Parses argv (after the script name) and the environment; throws with a usage hint on anything unknown. */
export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): BenchOptions | "help" {
  let runs = env.PANCODE_BENCH_RUNS ? positiveInt(env.PANCODE_BENCH_RUNS, "PANCODE_BENCH_RUNS") : DEFAULT_RUNS;
  let breakdown = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--help" || arg === "-h") return "help";
    if (arg === "--breakdown") breakdown = true;
    else if (arg === "--runs") runs = positiveInt(argv[++i] ?? "", "--runs");
    else if (arg.startsWith("--runs=")) runs = positiveInt(arg.slice("--runs=".length), "--runs");
    else throw new Error(`unknown argument "${arg}"\n\n${USAGE}`);
  }
  return { runs, warmup: WARMUP_RUNS, breakdown };
}
