import type { Command } from "commander";
import type { CommandRunner } from "../command-runner.js";
import { EXIT, UsageError } from "../exit-codes.js";
import { printJson } from "../output.js";

/** Session modes: a property of the client session (`--mode`, else PANCODE_MODE, else build). */
export const SESSION_MODES = ["plan", "build", "review"] as const;

/** One of {@link SESSION_MODES}. */
export type SessionMode = (typeof SESSION_MODES)[number];

/** What each mode lets a dispatch do (the coordinator enforces it: gates 1 and 2). */
const MODE_RULES: Record<SessionMode, { dispatch: boolean; writingAgents: boolean; summary: string }> = {
  plan: { dispatch: false, writingAgents: false, summary: "no dispatch: read and plan only" },
  build: { dispatch: true, writingAgents: true, summary: "dispatch any agent" },
  review: { dispatch: true, writingAgents: false, summary: "dispatch read-only agents only" },
};

/** `pancode mode --json`: stable camelCase fields. */
export interface ModeJson {
  mode: SessionMode;
  /** Where the mode came from. */
  source: "flag" | "env" | "default";
  allows: { dispatch: boolean; writingAgents: boolean };
  summary: string;
}

/** The session's mode and where it came from; a UsageError (exit 2) for an unknown mode. */
export function sessionMode(
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
): { mode: SessionMode; source: ModeJson["source"] } {
  const [value, source] =
    flag !== undefined
      ? [flag, "flag" as const]
      : env.PANCODE_MODE
        ? [env.PANCODE_MODE, "env" as const]
        : ["build", "default" as const];
  if (!(SESSION_MODES as readonly string[]).includes(value)) {
    const from = source === "flag" ? "--mode" : "PANCODE_MODE";
    throw new UsageError(`unknown mode "${value}" (${from}); use one of: ${SESSION_MODES.join(", ")}`);
  }
  return { mode: value as SessionMode, source };
}

/** `pancode mode [--mode M] [--json]`: the session's mode and what it allows. Local: no coordinator call. */
export async function modeCommand(options: { mode?: string; json?: boolean }): Promise<number> {
  const { mode, source } = sessionMode(options.mode, process.env);
  const rules = MODE_RULES[mode];
  const out: ModeJson = {
    mode,
    source,
    allows: { dispatch: rules.dispatch, writingAgents: rules.writingAgents },
    summary: rules.summary,
  };
  if (options.json) {
    printJson(out);
    return EXIT.ok;
  }
  const from = source === "flag" ? "--mode" : source === "env" ? "PANCODE_MODE" : "default";
  // One "key: value" line each, so further session properties (the safety level) slot in as more lines.
  const lines = [
    ["mode", `${mode} (${from})`],
    ["allows", rules.summary],
    ["dispatch", rules.dispatch ? "yes" : "no"],
    ["writing agents", rules.writingAgents ? "yes" : "no"],
  ];
  process.stdout.write(`${lines.map(([k, v]) => `${`${k}:`.padEnd(16)}${v}`).join("\n")}\n`);
  return EXIT.ok;
}

/** Registers `pancode mode`. */
export function registerMode(program: Command, run: CommandRunner): void {
  program
    .command("mode")
    .description("show the session mode (--mode or PANCODE_MODE, default build) and what it allows")
    .option("--mode <mode>", "plan | build | review")
    .option("--json", "print one JSON document")
    .action((options: { mode?: string; json?: boolean }) => run("mode", () => modeCommand(options)));
}
