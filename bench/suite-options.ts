/** Options of `npm run bench -- --suite <names>`: which suites to run and how big. */

/** Every suite, in the order `all` runs them. */
export const SUITES = ["dispatch", "cli", "proxy", "paths", "uploads", "admissions", "scaling", "soak"] as const;
export type SuiteName = (typeof SUITES)[number];

/** What `npm run bench` with no `--suite` runs: the quick set it always ran. */
export const DEFAULT_SUITES: readonly SuiteName[] = ["dispatch", "paths", "cli", "proxy"];

export interface SuiteOptions {
  suites: SuiteName[];
  /** Dispatches the admissions suite sends. */
  admissions: number;
  /** Concurrent dispatches in flight during the admissions suite. */
  admissionConcurrency: number;
  /** Sleep-bound runs per worker count in the scaling suite. */
  scalingRuns: number;
  /** Runs the soak queues and drains. */
  soakRuns: number;
  /** Worker processes draining the soak. */
  soakWorkers: number;
  /** Arguments for the dispatch suite's own script (`--runs N`, `--breakdown`), unchanged. */
  dispatchArgs: string[];
}

export const DEFAULTS: Omit<SuiteOptions, "suites" | "dispatchArgs"> = {
  admissions: 5000,
  admissionConcurrency: 64,
  scalingRuns: 16,
  soakRuns: 10_000,
  soakWorkers: 20,
};

export const SUITE_USAGE = `usage: npm run bench -- [--suite <names>] [options]

  --suite <names>          comma-separated, or all: ${SUITES.join(", ")}
                           (default: ${DEFAULT_SUITES.join(", ")})
  --admissions N           dispatches the admissions suite sends (default ${DEFAULTS.admissions})
  --concurrency N          dispatches in flight during the admissions suite (default ${DEFAULTS.admissionConcurrency})
  --scaling-runs N         sleep-bound runs per worker count in the scaling suite (default ${DEFAULTS.scalingRuns})
  --soak-runs N            runs the soak queues and drains (default ${DEFAULTS.soakRuns})
  --soak-workers N         worker processes draining the soak (default ${DEFAULTS.soakWorkers})
  --runs N, --breakdown    passed to the dispatch suite (see bench/README.md)
`;

function positiveInt(text: string | undefined, where: string): number {
  const value = Number(text);
  if (text === undefined || !/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < 1) {
    throw new Error(`${where} must be a positive integer, got "${text ?? ""}"`);
  }
  return value;
}

/** `dispatch,cli` or `all` to suite names; throws naming the unknown one and the known ones. */
export function parseSuiteList(text: string): SuiteName[] {
  const names = text
    .split(",")
    .map((n) => n.trim())
    .filter((n) => n.length > 0);
  if (names.length === 0) throw new Error(`--suite needs at least one name: ${SUITES.join(", ")} or all`);
  if (names.includes("all")) return [...SUITES];
  const unknown = names.find((n) => !(SUITES as readonly string[]).includes(n));
  if (unknown) throw new Error(`unknown suite "${unknown}": use ${SUITES.join(", ")} or all`);
  return [...new Set(names)] as SuiteName[];
}

const NUMERIC: Record<string, keyof typeof DEFAULTS> = {
  "--admissions": "admissions",
  "--concurrency": "admissionConcurrency",
  "--scaling-runs": "scalingRuns",
  "--soak-runs": "soakRuns",
  "--soak-workers": "soakWorkers",
};

/** Parses argv after the script name; accepts `--flag value` and `--flag=value`. Throws with the usage on anything unknown. */
export function parseSuiteOptions(argv: readonly string[]): SuiteOptions | "help" {
  const options: SuiteOptions = { suites: [...DEFAULT_SUITES], ...DEFAULTS, dispatchArgs: [] };
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i] as string;
    const eq = raw.indexOf("=");
    const flag = raw.startsWith("--") && eq > 0 ? raw.slice(0, eq) : raw;
    const inline = raw.startsWith("--") && eq > 0 ? raw.slice(eq + 1) : undefined;
    const value = () => inline ?? argv[++i];
    if (flag === "--help" || flag === "-h") return "help";
    if (flag === "--suite") options.suites = parseSuiteList(value() ?? "");
    else if (flag === "--breakdown") options.dispatchArgs.push("--breakdown");
    else if (flag === "--runs") options.dispatchArgs.push("--runs", String(positiveInt(value(), "--runs")));
    else if (flag in NUMERIC) options[NUMERIC[flag] as keyof typeof DEFAULTS] = positiveInt(value(), flag);
    else throw new Error(`unknown argument "${raw}"\n\n${SUITE_USAGE}`);
  }
  return options;
}
