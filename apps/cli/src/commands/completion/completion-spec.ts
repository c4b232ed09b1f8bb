import { BUILTIN_AGENTS, BUILTIN_TEAMS } from "@pancode/agents";
import type { Command, Option } from "commander";
import { SAFETY_LEVELS } from "../../client/submit/safety-level.js";
import { SESSION_MODES } from "../mode.js";

/** What the shell offers after an option that takes a value. */
type ValueSource = { kind: "words"; words: string[] } | { kind: "files" } | { kind: "free" };

/** One option of a command, as a completion script needs it. */
export interface OptionSpec {
  /** `--agent`, `-h`...: every spelling of the option. */
  flags: string[];
  long?: string;
  short?: string;
  description: string;
  takesValue: boolean;
  values: ValueSource;
}

/** One (sub)command: its path from the program (`""` for the program itself), its subcommands and options. */
export interface CommandSpec {
  /** Words after `pancode` that lead here, space-separated: `""`, `"budget"`, `"budget set"`. */
  path: string;
  description: string;
  subcommands: { name: string; description: string }[];
  options: OptionSpec[];
  /** Words a positional argument accepts (its `.choices()`), e.g. the shells of `completion`. */
  argumentWords: string[];
}

const agentNames = BUILTIN_AGENTS.map((a) => a.name);

/**
 * Values of options that name something the CLI knows without asking the cluster: the built-in fleet, teams,
 * safety levels and modes. Options naming files complete file names; everything else is free text.
 */
const KNOWN_VALUES: Record<string, ValueSource> = {
  "--agent": { kind: "words", words: agentNames },
  "--builder": { kind: "words", words: agentNames },
  "--reviewer": { kind: "words", words: agentNames },
  "--team": { kind: "words", words: BUILTIN_TEAMS.map((t) => t.name) },
  "--safety": { kind: "words", words: [...SAFETY_LEVELS] },
  "--mode": { kind: "words", words: [...SESSION_MODES] },
  "--file": { kind: "files" },
  "--keys": { kind: "files" },
  "--patch": { kind: "files" },
  "--runs": { kind: "files" },
  "--data-dir": { kind: "files" },
};

function valuesOf(option: Option): ValueSource {
  if (option.argChoices && option.argChoices.length > 0) return { kind: "words", words: option.argChoices };
  return (option.long && KNOWN_VALUES[option.long]) || { kind: "free" };
}

function optionSpec(option: Option): OptionSpec {
  return {
    flags: [option.long, option.short].filter((f): f is string => Boolean(f)),
    long: option.long,
    short: option.short,
    description: option.description,
    takesValue: option.required || option.optional,
    values: valuesOf(option),
  };
}

/** Commander adds `-h, --help` to every command itself; it is not among `command.options`. */
const HELP: OptionSpec = {
  flags: ["--help", "-h"],
  long: "--help",
  short: "-h",
  description: "display help for command",
  takesValue: false,
  values: { kind: "free" },
};

function isHidden(command: Command): boolean {
  return (command as unknown as { _hidden?: boolean })._hidden === true;
}

/** Every command of `program`, the program first, each followed by its subcommands (depth first). */
export function commandSpecs(program: Command): CommandSpec[] {
  const specs: CommandSpec[] = [];
  const visit = (command: Command, path: string) => {
    const children = command.commands.filter((c) => !isHidden(c));
    const subcommands = children.map((c) => ({ name: c.name(), description: c.description() }));
    // With subcommands, commander also answers `help [command]`.
    if (children.length > 0) subcommands.push({ name: "help", description: "display help for command" });
    specs.push({
      path,
      description: command.description(),
      subcommands,
      options: [...command.options.filter((o) => !o.hidden).map(optionSpec), HELP],
      argumentWords: command.registeredArguments.flatMap((a) => a.argChoices ?? []),
    });
    for (const child of children) visit(child, path ? `${path} ${child.name()}` : child.name());
  };
  visit(program, "");
  return specs;
}
