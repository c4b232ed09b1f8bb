import type { Command } from "commander";
import type { CommandRunner } from "../command-runner.js";
import { EXIT, UsageError } from "../exit-codes.js";
import { printJson } from "../output.js";
import { type SAFETY_LEVELS, sessionSafety } from "../safety-level.js";

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

/** A safety level, weakest first (see {@link SAFETY_LEVELS}). */
type SafetyLevel = (typeof SAFETY_LEVELS)[number];

/** Which agents each safety level admits (the coordinator enforces it: gate 7a). */
const SAFETY_RULES: Record<
  SafetyLevel,
  { readOnlyAgents: boolean; fileEditAgents: boolean; programAgents: boolean; summary: string }
> = {
  suggest: {
    readOnlyAgents: true,
    fileEditAgents: false,
    programAgents: false,
    summary: "read-only agents only: output, nothing merged back",
  },
  "auto-edit": {
    readOnlyAgents: true,
    fileEditAgents: true,
    programAgents: false,
    summary: "also agents that edit files with file tools (no shell)",
  },
  "full-auto": {
    readOnlyAgents: true,
    fileEditAgents: true,
    programAgents: true,
    summary: "any agent, also those that run programs (shell tools, command runtime)",
  },
};

/** `pancode mode --json`: stable camelCase fields. */
export interface ModeJson {
  mode: SessionMode;
  /** Where the mode came from. */
  source: "flag" | "env" | "default";
  allows: { dispatch: boolean; writingAgents: boolean };
  summary: string;
  /** The session safety level (`--safety`, else PANCODE_SAFETY, else auto-edit) and the agents it admits. */
  safety: {
    level: SafetyLevel;
    source: "flag" | "env" | "default";
    allows: { readOnlyAgents: boolean; fileEditAgents: boolean; programAgents: boolean };
    summary: string;
  };
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

/**
 * The session's mode and safety level with what they allow, from the flags and the environment; a UsageError
 * (exit 2) for an unknown mode or level. Exported for unit tests.
 */
export function modeReport(options: { mode?: string; safety?: string }, env: NodeJS.ProcessEnv): ModeJson {
  const { mode, source } = sessionMode(options.mode, env);
  const rules = MODE_RULES[mode];
  const level = sessionSafety(options.safety, env) as SafetyLevel;
  const safety = SAFETY_RULES[level];
  return {
    mode,
    source,
    allows: { dispatch: rules.dispatch, writingAgents: rules.writingAgents },
    summary: rules.summary,
    safety: {
      level,
      source: options.safety !== undefined ? "flag" : env.PANCODE_SAFETY?.trim() ? "env" : "default",
      allows: {
        readOnlyAgents: safety.readOnlyAgents,
        fileEditAgents: safety.fileEditAgents,
        programAgents: safety.programAgents,
      },
      summary: safety.summary,
    },
  };
}

/** The text form of {@link modeReport}: one "key: value" line each. */
export function formatModeReport(report: ModeJson): string {
  const yes = (b: boolean) => (b ? "yes" : "no");
  const modeFrom = report.source === "flag" ? "--mode" : report.source === "env" ? "PANCODE_MODE" : "default";
  const s = report.safety;
  const safetyFrom = s.source === "flag" ? "--safety" : s.source === "env" ? "PANCODE_SAFETY" : "default";
  const lines = [
    ["mode", `${report.mode} (${modeFrom})`],
    ["allows", report.summary],
    ["dispatch", yes(report.allows.dispatch)],
    ["writing agents", yes(report.allows.writingAgents)],
    ["safety", `${s.level} (${safetyFrom})`],
    ["admits", s.summary],
    ["read-only", yes(s.allows.readOnlyAgents)],
    ["file edits", yes(s.allows.fileEditAgents)],
    ["programs", yes(s.allows.programAgents)],
  ];
  return `${lines.map(([k, v]) => `${`${k}:`.padEnd(16)}${v}`).join("\n")}\n`;
}

/** `pancode mode [--mode M] [--safety L] [--json]`: the session's mode and safety level, and what they allow. */
export async function modeCommand(options: { mode?: string; safety?: string; json?: boolean }): Promise<number> {
  const report = modeReport(options, process.env);
  if (options.json) printJson(report);
  else process.stdout.write(formatModeReport(report));
  return EXIT.ok;
}

/** Registers `pancode mode`. */
export function registerMode(program: Command, run: CommandRunner): void {
  program
    .command("mode")
    .description(
      "show the session mode (--mode or PANCODE_MODE, default build) and safety level (--safety or PANCODE_SAFETY, default auto-edit) and what they allow",
    )
    .option("--mode <mode>", "plan | build | review")
    .option("--safety <level>", "suggest | auto-edit | full-auto")
    .option("--json", "print one JSON document")
    .action((options: { mode?: string; safety?: string; json?: boolean }) => run("mode", () => modeCommand(options)));
}
