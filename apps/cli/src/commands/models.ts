import type { ListModelsResponse, ModelInfo } from "@pancode/proto";
import type { Command } from "commander";
import type { CommandRunner } from "../client/command-runner.js";
import { connect } from "../client/connection.js";
import { EXIT } from "../client/exit-codes.js";
import { printJson, table } from "../output.js";

/** USD per million tokens, input/output; local models say so. */
function price(m: ModelInfo): string {
  if (m.priceInput === 0 && m.priceOutput === 0) return "free";
  return `$${m.priceInput} / $${m.priceOutput}`;
}

/** The human table of `pancode models`, then where the models come from and what workers could not offer. */
export function formatModels(list: ListModelsResponse): string {
  const rows = list.models.map((m) => [
    m.isDefault ? `${m.ref} *` : m.ref,
    m.provider,
    price(m),
    m.workers.length > 0 ? m.workers.join(", ") : "(none live)",
  ]);
  const lines = [table(["MODEL", "PROVIDER", "PRICE IN/OUT PER 1M TOKENS", "WORKERS"], rows)];
  if (list.models.length === 0) {
    lines.push(
      "no models: set ANTHROPIC_API_KEY, OPENAI_API_KEY or GEMINI_API_KEY on a worker, run Ollama, LM Studio or a llama.cpp server next to it, or declare providers in PANCODE_CONFIG",
    );
  }
  lines.push(
    list.defaultModel
      ? `* default model (${list.source === "config" ? "PANCODE_CONFIG" : "discovered"})`
      : "no default model",
  );
  for (const problem of list.problems) lines.push(`warning: ${problem}`);
  return lines.join("\n");
}

/** `pancode models [--json]`: the models the cluster can run, their prices, who serves them, the default. */
export async function modelsCommand(options: { json?: boolean }): Promise<number> {
  const api = connect();
  try {
    const list = await api.listModels();
    if (options.json) printJson(list);
    else process.stdout.write(`${formatModels(list)}\n`);
    return EXIT.ok;
  } finally {
    api.close();
  }
}

/** Registers `pancode models`. */
export function registerModels(program: Command, run: CommandRunner): void {
  program
    .command("models")
    .description("list the models the cluster can run: provider, price, serving workers, the default")
    .option("--json", "print one JSON document")
    .action((options: { json?: boolean }) => run("models", () => modelsCommand(options)));
}
