import { Argument, type Command } from "commander";
import type { CommandRunner } from "../client/command-runner.js";
import { EXIT } from "../client/exit-codes.js";
import { bashScript } from "./completion/bash.js";
import { commandSpecs } from "./completion/completion-spec.js";
import { fishScript } from "./completion/fish.js";
import { zshScript } from "./completion/zsh.js";

const SHELLS = { bash: bashScript, zsh: zshScript, fish: fishScript } as const;
type Shell = keyof typeof SHELLS;

/** The completion script of `shell` for every command `program` has (read when asked, so it never goes stale). */
export function completionScript(program: Command, shell: Shell): string {
  return SHELLS[shell](commandSpecs(program));
}

/**
 * Registers `pancode completion bash|zsh|fish` on `program`, whose commands (all of them, registered by
 * `registerAll` since commands load lazily) the script completes.
 */
export function registerCompletion(
  program: Command,
  run: CommandRunner,
  registerAll: (program: Command, run: CommandRunner) => Promise<void>,
): void {
  program
    .command("completion")
    .description("print a shell completion script: source <(pancode completion bash)")
    .addArgument(new Argument("<shell>", "the shell to complete for").choices(Object.keys(SHELLS)))
    .action((shell: Shell) =>
      run("completion", async () => {
        await registerAll(program, run);
        process.stdout.write(completionScript(program, shell));
        return EXIT.ok;
      }),
    );
}
