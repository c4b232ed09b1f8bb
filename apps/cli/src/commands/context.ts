import type { Command } from "commander";
import { cliEnv } from "../client/cli-env.js";
import type { CommandRunner } from "../client/command-runner.js";
import { readConfig, writeConfig } from "../client/contexts/config-file.js";
import { type PancodeConfig, unknownContextMessage } from "../client/contexts/context.js";
import { EXIT, UsageError } from "../client/exit-status.js";
import { printJson, table } from "../output.js";

/** `pancode context list --json`: one entry per context, never its token. */
export interface ContextJson {
  name: string;
  address: string;
  tls: boolean;
  current: boolean;
}

function load(): { path: string; config: PancodeConfig } {
  const path = cliEnv().configPath;
  return { path, config: readConfig(path) };
}

function requireKnown(name: string, config: PancodeConfig): void {
  if (!config.contexts.some((c) => c.name === name)) throw new UsageError(unknownContextMessage(name, config));
}

export function contextList(options: { json?: boolean }): number {
  const { config } = load();
  const rows: ContextJson[] = config.contexts.map((c) => ({
    name: c.name,
    address: c.address,
    tls: Boolean(c.ca),
    current: c.name === config.current,
  }));
  if (options.json) printJson(rows);
  else if (rows.length === 0) process.stdout.write("no contexts: pancode login <address>\n");
  else {
    const cells = rows.map((r) => [r.current ? "*" : "", r.name, r.address, r.tls ? "yes" : "no"]);
    process.stdout.write(`${table(["CURRENT", "NAME", "ADDRESS", "TLS"], cells)}\n`);
  }
  return EXIT.ok;
}

export function contextUse(name: string): number {
  const { path, config } = load();
  requireKnown(name, config);
  writeConfig(path, { ...config, current: name });
  process.stdout.write(`current context: ${name}\n`);
  return EXIT.ok;
}

export function contextCurrent(): number {
  const { config } = load();
  if (!config.current)
    throw new UsageError("no current context: pancode login <address>, or pancode context use <name>");
  process.stdout.write(`${config.current}\n`);
  return EXIT.ok;
}

export function contextDelete(name: string): number {
  const { path, config } = load();
  requireKnown(name, config);
  const current = config.current === name ? undefined : config.current;
  writeConfig(path, { current, contexts: config.contexts.filter((c) => c.name !== name) });
  const note = current === config.current ? "" : " (it was current: none is now)";
  process.stdout.write(`deleted context ${name}${note}\n`);
  return EXIT.ok;
}

/** Registers `pancode context list|use|current|delete`. */
export function registerContext(program: Command, run: CommandRunner): void {
  const context = program
    .command("context")
    .description(
      "the clusters pancode login saved: list, use, current, delete (file: $XDG_CONFIG_HOME/pancode/config.yaml)",
    );
  context
    .command("list")
    .description("the saved contexts; * marks the current one")
    .option("--json", "print a JSON array of {name, address, tls, current}")
    .action((options: { json?: boolean }) => run("context list", async () => contextList(options)));
  context
    .command("use")
    .description("make a context the current one")
    .argument("<name>", "a context name (pancode context list)")
    .action((name: string) => run("context use", async () => contextUse(name)));
  context
    .command("current")
    .description("print the current context's name")
    .action(() => run("context current", async () => contextCurrent()));
  context
    .command("delete")
    .description("forget a context and its token")
    .argument("<name>", "a context name (pancode context list)")
    .action((name: string) => run("context delete", async () => contextDelete(name)));
}
