import type { Command } from "commander";
import type { CommandRunner } from "./client/command-runner.js";

/** What a command module exports: a function that adds its commands to the program. */
type RegisterCommands = (program: Command, run: CommandRunner) => void;

/** One command module: the top-level commands it adds, and how to load it (only when one of them is invoked). */
export interface CommandModule {
  names: readonly string[];
  load: () => Promise<RegisterCommands>;
}

/**
 * Every pancode command, in the order `pancode --help` lists them. A module is imported only when one of its
 * commands runs, so a command's start-up costs what that command imports and nothing else. Adding a command is
 * one line here.
 */
export const COMMAND_MODULES: readonly CommandModule[] = [
  { names: ["dispatch"], load: async () => (await import("./commands/dispatch.js")).registerDispatch },
  { names: ["runs", "show"], load: async () => (await import("./commands/runs.js")).registerRuns },
  { names: ["logs", "diff"], load: async () => (await import("./commands/logs.js")).registerLogs },
  { names: ["apply"], load: async () => (await import("./commands/apply.js")).registerApply },
  { names: ["agents"], load: async () => (await import("./commands/agents.js")).registerAgents },
  { names: ["receipt"], load: async () => (await import("./commands/receipt.js")).registerReceipt },
  { names: ["keys"], load: async () => (await import("./commands/keys.js")).registerKeys },
  { names: ["budget"], load: async () => (await import("./commands/budget.js")).registerBudget },
  { names: ["tokens", "whoami"], load: async () => (await import("./commands/tokens.js")).registerTokens },
  { names: ["teams"], load: async () => (await import("./commands/teams.js")).registerTeams },
  { names: ["audit"], load: async () => (await import("./commands/audit.js")).registerAudit },
  { names: ["drain"], load: async () => (await import("./commands/drain.js")).registerDrain },
  { names: ["undrain"], load: async () => (await import("./commands/drain.js")).registerUndrain },
  { names: ["mode"], load: async () => (await import("./commands/mode.js")).registerMode },
  { names: ["batch", "batches"], load: async () => (await import("./commands/batch.js")).registerBatch },
  { names: ["chain", "chains"], load: async () => (await import("./commands/chain.js")).registerChain },
  { names: ["refine"], load: async () => (await import("./commands/refine.js")).registerRefine },
  { names: ["stoprun"], load: async () => (await import("./commands/stoprun.js")).registerStoprun },
  { names: ["watch"], load: async () => (await import("./commands/watch.js")).registerWatch },
  { names: ["cost", "metrics"], load: async () => (await import("./commands/cost.js")).registerCost },
  { names: ["models"], load: async () => (await import("./commands/models.js")).registerModels },
  { names: ["status"], load: async () => (await import("./commands/status.js")).registerStatus },
  { names: ["workers"], load: async () => (await import("./commands/workers.js")).registerWorkers },
  {
    names: ["completion"],
    // The completion script covers every command, so it is handed the way to register them all.
    load: async () => {
      const { registerCompletion } = await import("./commands/completion.js");
      return (program, run) => registerCompletion(program, run, registerAllCommands);
    },
  },
  { names: ["login"], load: async () => (await import("./commands/login.js")).registerLogin },
  { names: ["context"], load: async () => (await import("./commands/context.js")).registerContext },
  { names: ["mcp"], load: async () => (await import("./mcp/command.js")).registerMcp },
  {
    names: ["up", "coordinator", "worker"],
    load: async () => (await import("./commands/services.js")).registerServices,
  },
];

/** The modules already registered on each program, so no command is added twice. */
const registered = new WeakMap<Command, Set<CommandModule>>();

/** Loads `modules` (in parallel) and registers those not yet on `program`, in table order. */
async function registerModules(program: Command, run: CommandRunner, modules: readonly CommandModule[]): Promise<void> {
  const done = registered.get(program) ?? new Set<CommandModule>();
  registered.set(program, done);
  const pending = modules.filter((m) => !done.has(m));
  const registers = await Promise.all(pending.map((m) => m.load()));
  pending.forEach((module, i) => {
    done.add(module);
    registers[i]?.(program, run);
  });
}

/** Registers the module that provides the top-level command `name`; false when no module does. */
export async function registerCommand(program: Command, run: CommandRunner, name: string): Promise<boolean> {
  const module = COMMAND_MODULES.find((m) => m.names.includes(name));
  if (module) await registerModules(program, run, [module]);
  return module !== undefined;
}

/** Registers every command (loading every module): for help, an unknown command, and shell completion. */
export async function registerAllCommands(program: Command, run: CommandRunner): Promise<void> {
  await registerModules(program, run, COMMAND_MODULES);
}
