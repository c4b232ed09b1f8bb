import { execFileSync, spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findOnPath } from "@pancode/testing/find-on-path";
import { Command, Option } from "commander";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { completionScript, registerCompletion } from "../completion.js";

// The completion scripts, generated from a commander program, checked by the real shells: each parses, and bash,
// fish and zsh (its completion functions replaced by printers) complete subcommands, options and option values.

let dir: string;
const ZSH = findOnPath("zsh");
const FISH = findOnPath("fish");
// In CI a missing shell is a failure (setup-machine.sh installs both), never a silent skip.
const skipMissing = (path: string | undefined) => !path && process.env.CI !== "true";

/** A program shaped like the CLI's: nested subcommands, flags with and without values, choices, files. */
function sampleProgram(): Command {
  const program = new Command("pancode").version("0.1.0");
  const noop = () => {};
  program
    .command("dispatch")
    .description("run a task: it's dispatched")
    .argument("<task>")
    .option("-a, --agent <name>", "agent to run")
    .option("--wait", "follow the run")
    .addOption(new Option("--log-format <f>", "log lines").choices(["text", "json"]))
    .action(noop);
  program.command("drain").description("stop admitting runs").action(noop);
  const budget = program.command("budget").description("the budget").option("--json", "JSON").action(noop);
  budget.command("set").description("set the ceiling").argument("<usd>").option("--json", "JSON").action(noop);
  program.command("verify").option("--file <r.json>", "envelope file").action(noop);
  registerCompletion(
    program,
    () => {},
    async () => {},
  );
  return program;
}

async function scriptFile(shell: "bash" | "zsh" | "fish"): Promise<string> {
  const file = join(dir, `pancode.${shell}`);
  await writeFile(file, completionScript(sampleProgram(), shell));
  return file;
}

/** What bash's completion function offers for the words typed (the last one is under the cursor). */
function bashComplete(file: string, words: string[]): string[] {
  const quoted = words.map((w) => `'${w}'`).join(" ");
  const out = execFileSync(
    "bash",
    [
      "-c",
      `source '${file}'; COMP_WORDS=(${quoted}); COMP_CWORD=$(( \${#COMP_WORDS[@]} - 1 )); _pancode; printf '%s\\n' "\${COMPREPLY[@]}"`,
    ],
    { cwd: dir },
  ).toString();
  return out.split("\n").filter(Boolean);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pancode-completion-"));
  await writeFile(join(dir, "receipt.json"), "{}");
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("pancode completion bash", () => {
  it("is valid bash and registers the completion for pancode", async () => {
    const file = await scriptFile("bash");
    expect(spawnSync("bash", ["-n", file]).status).toBe(0);
    const registered = execFileSync("bash", ["-c", `source '${file}'; complete -p pancode`]).toString();
    expect(registered).toContain("-F _pancode pancode");
  });

  it("completes subcommands, nested subcommands and the options of the command being typed", async () => {
    const file = await scriptFile("bash");
    expect(bashComplete(file, ["pancode", "disp"])).toEqual(["dispatch"]);
    expect(bashComplete(file, ["pancode", "d"]).sort()).toEqual(["dispatch", "drain"]);
    expect(bashComplete(file, ["pancode", "budget", ""]).sort()).toEqual(["help", "set"]);
    expect(bashComplete(file, ["pancode", "budget", "set", "--"]).sort()).toEqual(["--help", "--json"]);
    expect(bashComplete(file, ["pancode", "dispatch", "--w"])).toEqual(["--wait"]);
    expect(bashComplete(file, ["pancode", "-"]).sort()).toEqual(["--help", "--version", "-V", "-h"]);
  });

  it("completes option values: the built-in agents, choices, file names, and the shells of completion", async () => {
    const file = await scriptFile("bash");
    expect(bashComplete(file, ["pancode", "dispatch", "--agent", "s"]).sort()).toEqual(["scout", "shell"]);
    // The short flag takes the same values; a flag's value is not taken for a subcommand or a positional word.
    expect(bashComplete(file, ["pancode", "dispatch", "-a", "dev", "--agent", "bui"])).toEqual(["builder"]);
    expect(bashComplete(file, ["pancode", "dispatch", "--log-format", ""]).sort()).toEqual(["json", "text"]);
    expect(bashComplete(file, ["pancode", "verify", "--file", "rec"])).toEqual(["receipt.json"]);
    expect(bashComplete(file, ["pancode", "completion", ""]).sort()).toEqual(["bash", "fish", "zsh"]);
  });
});

describe.skipIf(skipMissing(ZSH))("pancode completion zsh", () => {
  it("is valid zsh", async () => {
    expect(spawnSync(ZSH ?? "zsh", ["-n", await scriptFile("zsh")]).status).toBe(0);
  });

  it("offers subcommands with their descriptions and the values of --agent", async () => {
    const file = await scriptFile("zsh");
    // Outside a completion widget: compdef and the completion builtins are replaced by functions that print.
    const run = (words: string[]) =>
      execFileSync(ZSH ?? "zsh", [
        "-c",
        `compdef() { :; }
_describe() { local name=$4; print -l -- \${(P)name}; }
compadd() { print -l -- \${(P)2}; }
_files() { print '<files>'; }
source '${file}'
words=(${words.map((w) => `'${w}'`).join(" ")}); CURRENT=\${#words}
_pancode`,
      ])
        .toString()
        .split("\n")
        .filter(Boolean);
    expect(run(["pancode", ""])).toContain("dispatch:run a task: it's dispatched");
    expect(run(["pancode", "budget", ""])).toContain("set:set the ceiling");
    expect(run(["pancode", "dispatch", "--agent", ""])).toContain("dev");
    expect(run(["pancode", "budget", "set", "-"])).toContain("--json:JSON");
  });
});

describe.skipIf(skipMissing(FISH))("pancode completion fish", () => {
  it("is valid fish", async () => {
    expect(spawnSync(FISH ?? "fish", ["--no-execute", await scriptFile("fish")]).status).toBe(0);
  });

  it("completes subcommands, nested subcommands, options and --agent values", async () => {
    const file = await scriptFile("fish");
    const complete = (line: string) =>
      execFileSync(FISH ?? "fish", ["-c", `source '${file}'; complete -C '${line}'`])
        .toString()
        .split("\n")
        .filter(Boolean)
        .map((l) => l.split("\t")[0]);
    expect(complete("pancode disp")).toEqual(["dispatch"]);
    expect(complete("pancode budget ").sort()).toEqual(["help", "set"]);
    expect(complete("pancode budget set --")).toContain("--json");
    expect(complete("pancode dispatch --agent s").sort()).toEqual(["scout", "shell"]);
  });
});
