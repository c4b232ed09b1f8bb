import type { CommandSpec, OptionSpec } from "./completion-spec.js";
import { shortDescription } from "./shell-data.js";

/** A word in single quotes for fish (only `\` and `'` are special inside them). */
function fishQuote(word: string): string {
  return `'${word.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
}

/** `__pancode_spec KIND PATH`: subcommands (`commands`) and flags taking a value (`valued`) under PATH. */
function specFunction(specs: CommandSpec[]): string {
  const arms: string[] = [];
  for (const spec of specs) {
    const commands = spec.subcommands.map((c) => c.name);
    const valued = spec.options.filter((o) => o.takesValue).flatMap((o) => o.flags);
    if (commands.length > 0)
      arms.push(
        `        case ${fishQuote(`commands:${spec.path}`)}\n            printf '%s\\n' ${commands.map(fishQuote).join(" ")}`,
      );
    if (valued.length > 0)
      arms.push(
        `        case ${fishQuote(`valued:${spec.path}`)}\n            printf '%s\\n' ${valued.map(fishQuote).join(" ")}`,
      );
  }
  return `function __pancode_spec\n    switch "$argv[1]:$argv[2]"\n${arms.join("\n")}\n    end\nend`;
}

/** The `complete` line of one option under one command path. */
function optionLine(path: string, option: OptionSpec): string {
  const parts = ["complete -c pancode", `-n ${fishQuote(`__pancode_at ${fishQuote(path)}`)}`];
  if (option.long) parts.push(`-l ${option.long.slice(2)}`);
  if (option.short) parts.push(`-s ${option.short.slice(1)}`);
  if (option.takesValue) {
    if (option.values.kind === "files") parts.push("-r -F");
    else if (option.values.kind === "words") parts.push(`-x -a ${fishQuote(option.values.words.join(" "))}`);
    else parts.push("-x");
  }
  parts.push(`-d ${fishQuote(shortDescription(option.description))}`);
  return parts.join(" ");
}

function commandLines(spec: CommandSpec): string[] {
  const at = `-n ${fishQuote(`__pancode_at ${fishQuote(spec.path)}`)}`;
  return [
    ...spec.subcommands.map(
      (c) => `complete -c pancode ${at} -a ${fishQuote(c.name)} -d ${fishQuote(shortDescription(c.description))}`,
    ),
    ...(spec.argumentWords.length > 0
      ? [`complete -c pancode ${at} -a ${fishQuote(spec.argumentWords.join(" "))}`]
      : []),
    ...spec.options.map((o) => optionLine(spec.path, o)),
  ];
}

/** The fish completion script: `pancode completion fish | source`, or saved in ~/.config/fish/completions/. */
export function fishScript(specs: CommandSpec[]): string {
  return `# pancode completion for fish. Load it with: pancode completion fish | source
# or save it as ~/.config/fish/completions/pancode.fish. Generated from the CLI's own commands.
${specFunction(specs)}

# The command being typed: the subcommands among the words so far, skipping each value of a flag that takes one.
function __pancode_path
    set -l words (commandline -opc)
    set -e words[1]
    set -l cmdpath ''
    set -l skip 0
    for word in $words
        if test $skip = 1
            set skip 0
            continue
        end
        if string match -q -- '-*' $word
            if not string match -q -- '*=*' $word; and contains -- $word (__pancode_spec valued "$cmdpath")
                set skip 1
            end
            continue
        end
        if contains -- $word (__pancode_spec commands "$cmdpath")
            set cmdpath (string trim -- "$cmdpath $word")
        end
    end
    echo $cmdpath
end

function __pancode_at
    set -l current (__pancode_path)
    test "$current" = "$argv[1]"
end

complete -c pancode -f
${specs.flatMap(commandLines).join("\n")}
`;
}
