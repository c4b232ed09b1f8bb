import { Command } from "commander";
import { describe, expect, it } from "vitest";
import type { CommandRunner } from "./client/command-runner.js";
import { COMMAND_MODULES, registerAllCommands, registerCommand } from "./command-table.js";

const run: CommandRunner = () => {};
const topLevel = (program: Command) => program.commands.map((c) => c.name());

describe("the command table", () => {
  it("lists exactly the top-level commands each module registers", async () => {
    for (const module of COMMAND_MODULES) {
      const program = new Command("pancode");
      (await module.load())(program, run);
      expect(topLevel(program)).toEqual(module.names);
    }
  });

  it("registers only the invoked command's module, and says when no module has the name", async () => {
    const program = new Command("pancode");
    expect(await registerCommand(program, run, "diff")).toBe(true);
    expect(topLevel(program)).toEqual(["logs", "diff"]);
    expect(await registerCommand(new Command("pancode"), run, "no-such-command")).toBe(false);
  });

  it("adds every command once, also after one was registered (completion loads the whole tree)", async () => {
    const program = new Command("pancode");
    await registerCommand(program, run, "runs");
    await registerAllCommands(program, run);
    const names = topLevel(program);
    expect(new Set(names).size).toBe(names.length);
    expect(names.sort()).toEqual(COMMAND_MODULES.flatMap((m) => m.names).sort());
  });
});
