import type { CommandSpec } from "./completion-spec.js";

/** A word in single quotes for sh, bash, zsh: literal whatever it holds. */
function shQuote(word: string): string {
  return `'${word.replaceAll("'", "'\\''")}'`;
}

/** The first line of a description, cut short: completion menus show one line per entry. */
export function shortDescription(text: string): string {
  const line = text.split("\n")[0] ?? "";
  return line.length > 80 ? `${line.slice(0, 77)}...` : line;
}

function caseArm(key: string, lines: string[]): string {
  return `    ${shQuote(key)}) printf '%s\\n' ${lines.map(shQuote).join(" ")} ;;`;
}

/**
 * `_pancode_spec KIND PATH` for bash and zsh (same `case` syntax): prints one word per line. Kinds: `commands`
 * (subcommands of PATH), `options` (every flag), `valued` (flags that take a value), `args` (words a positional
 * argument accepts), and with `describe` also `dcommands` / `doptions` (`word:description` lines for zsh).
 */
export function specFunction(specs: CommandSpec[], describe: boolean): string {
  const arms: string[] = [];
  for (const spec of specs) {
    const add = (kind: string, lines: string[]) => {
      if (lines.length > 0) arms.push(caseArm(`${kind}:${spec.path}`, lines));
    };
    add(
      "commands",
      spec.subcommands.map((c) => c.name),
    );
    add(
      "options",
      spec.options.flatMap((o) => o.flags),
    );
    add(
      "valued",
      spec.options.filter((o) => o.takesValue).flatMap((o) => o.flags),
    );
    add("args", spec.argumentWords);
    if (describe) {
      add(
        "dcommands",
        spec.subcommands.map((c) => `${c.name}:${shortDescription(c.description)}`),
      );
      add(
        "doptions",
        spec.options.flatMap((o) => o.flags.map((f) => `${f}:${shortDescription(o.description)}`)),
      );
    }
  }
  return `_pancode_spec() {\n  case "$1:$2" in\n${arms.join("\n")}\n  esac\n}`;
}

/** `_pancode_values PATH FLAG`: the values FLAG takes under PATH, one per line, or `__files` for file names. */
export function valuesFunction(specs: CommandSpec[]): string {
  const arms: string[] = [];
  for (const spec of specs) {
    for (const option of spec.options) {
      if (!option.takesValue || option.values.kind === "free") continue;
      const lines = option.values.kind === "files" ? ["__files"] : option.values.words;
      for (const flag of option.flags) arms.push(caseArm(`${spec.path}:${flag}`, lines));
    }
  }
  return `_pancode_values() {\n  case "$1:$2" in\n${arms.join("\n")}\n  esac\n}`;
}
