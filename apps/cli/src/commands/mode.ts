import type { Command } from "commander";
import { type CliEnv, cliEnv } from "../client/cli-env.js";
import type { CommandRunner } from "../client/command-runner.js";
import { EXIT, UsageError } from "../client/exit-codes.js";
import { type SAFETY_LEVELS, sessionSafety } from "../client/submit/safety-level.js";
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

/** A safety level, weakest first (see {@link SAFETY_LEVELS}). */
type SafetyLevel = (typeof SAFETY_LEVELS)[number];

/** What a safety level admits, with examples (the coordinator enforces it: gate 7a). */
interface SafetyRule {
  readOnlyAgents: boolean;
  /** Agents that edit files in their workspace. */
  fileEditAgents: boolean;
  /** Agents that run programs (a shell tool, the command runtime) inside their sandbox. */
  programAgents: boolean;
  /** Agents that reach beyond the sandbox: host networking, egress other than the model endpoint. */
  beyondSandbox: boolean;
  summary: string;
  examples: string;
}

/**
 * Which agents each safety level admits. The container is the boundary (non-root, no capabilities, only the
 * worktree mounted, no network beyond the model endpoint), so what happens inside it needs no more than the default.
 */
const SAFETY_RULES: Record<SafetyLevel, SafetyRule> = {
  suggest: {
    readOnlyAgents: true,
    fileEditAgents: false,
    programAgents: false,
    beyondSandbox: false,
    summary: "read-only agents only: output, nothing merged back (a read-only agent with open egress is full-auto)",
    examples: "planner, scout, reviewer, red-team, plan-reviewer",
  },
  "auto-edit": {
    readOnlyAgents: true,
    fileEditAgents: true,
    programAgents: true,
    beyondSandbox: false,
    summary: "also agents that edit files and run commands inside their sandbox",
    examples: "dev, builder, documenter, shell, custom agents with bash, runtime command with network none",
  },
  "full-auto": {
    readOnlyAgents: true,
    fileEditAgents: true,
    programAgents: true,
    beyondSandbox: true,
    summary:
      "also agents that reach beyond the sandbox: host networking, egress other than the model endpoint (runtime command with network bridge)",
    examples: "cluster agents with network host, runtime command with network bridge (nested dispatch)",
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
    allows: { readOnlyAgents: boolean; fileEditAgents: boolean; programAgents: boolean; beyondSandbox: boolean };
    summary: string;
  };
  /** Every level, weakest first, with what it admits: the matrix `pancode mode` prints. */
  levels: { level: SafetyLevel; summary: string; examples: string }[];
}

/** The session's mode and where it came from; a UsageError (exit 2) for an unknown mode. */
export function sessionMode(
  flag: string | undefined,
  env: Pick<CliEnv, "mode">,
): { mode: SessionMode; source: ModeJson["source"] } {
  const [value, source] =
    flag !== undefined
      ? [flag, "flag" as const]
      : env.mode
        ? [env.mode, "env" as const]
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
export function modeReport(
  options: { mode?: string; safety?: string },
  env: Pick<CliEnv, "mode" | "safety">,
): ModeJson {
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
      source: options.safety !== undefined ? "flag" : env.safety?.trim() ? "env" : "default",
      allows: {
        readOnlyAgents: safety.readOnlyAgents,
        fileEditAgents: safety.fileEditAgents,
        programAgents: safety.programAgents,
        beyondSandbox: safety.beyondSandbox,
      },
      summary: safety.summary,
    },
    levels: (Object.keys(SAFETY_RULES) as SafetyLevel[]).map((l) => ({
      level: l,
      summary: SAFETY_RULES[l].summary,
      examples: SAFETY_RULES[l].examples,
    })),
  };
}

/** The text form of {@link modeReport}: one "key: value" line each, then the matrix of safety levels. */
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
    ["beyond sandbox", yes(s.allows.beyondSandbox)],
  ];
  const matrix = report.levels.map(
    (l) => `${l.level === s.level ? "*" : " "} ${l.level.padEnd(10)} ${l.summary}\n${" ".repeat(13)}e.g. ${l.examples}`,
  );
  return `${lines.map(([k, v]) => `${`${k}:`.padEnd(16)}${v}`).join("\n")}\n\nsafety levels (* = this session):\n${matrix.join("\n")}\n`;
}

/** `pancode mode [--mode M] [--safety L] [--json]`: the session's mode and safety level, and what they allow. */
export async function modeCommand(options: { mode?: string; safety?: string; json?: boolean }): Promise<number> {
  const report = modeReport(options, cliEnv());
  if (options.json) printJson(report);
  else process.stdout.write(formatModeReport(report));
  return EXIT.ok;
}

/** Registers `pancode mode`. */
export function registerMode(program: Command, run: CommandRunner): void {
  program
    .command("mode")
    .description(
      "show the session mode (--mode or PANCODE_MODE, default build) and safety level (--safety or PANCODE_SAFETY, default auto-edit), what they allow, and the matrix of safety levels",
    )
    .option("--mode <mode>", "plan | build | review")
    .option("--safety <level>", "suggest | auto-edit | full-auto")
    .option("--json", "print one JSON document")
    .action((options: { mode?: string; safety?: string; json?: boolean }) => run("mode", () => modeCommand(options)));
}
