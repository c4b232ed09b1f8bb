import { type ModelTarget, PanCodeError, type ResolvedAgent } from "@pancode/core";
import type { AgentRuntime } from "../agent-runtime.js";
import { createCodexParser } from "./codex-events.js";

/**
 * Writes Codex's config into the container's (tmpfs) home from an environment variable, then runs codex. The API key
 * is never in the file: `env_key` names the variable holding it, which Codex reads itself at run time.
 */
const PRELUDE =
  'export CODEX_HOME="$HOME/.codex" && mkdir -p "$CODEX_HOME" && printf "%s" "$PANCODE_CODEX_CONFIG" > "$CODEX_HOME/config.toml" && exec "$@"';

/** Key of our provider in `model_providers`: fixed, so a provider named like a built-in one (openai) cannot clash. */
const PROVIDER_KEY = "pancode";

/** Model requests and stream reconnects per call (Codex's default retries a refused connection forever). */
const MAX_RETRIES = 2;

/** Told to the model of a read-only agent: its commands hit a read-only mount, so it should not try. */
const READONLY_NOTE =
  "The workspace is mounted read-only: do not modify, create or delete files; report what you find instead.";

/**
 * A TOML basic string. JSON's escapes are TOML's, except that TOML also forbids a raw DEL and lone surrogates
 * (which JSON.stringify writes as \\uD8xx escapes that TOML rejects).
 */
export function tomlString(value: string): string {
  return JSON.stringify(value.replace(/[\uD800-\uDFFF]/gu, "\uFFFD")).replaceAll("\u007f", "\\u007f");
}

/** The developer instructions of a run: the agent's prompt, plus the read-only note for read-only agents. */
function instructions(agent: ResolvedAgent): string {
  return [agent.prompt, agent.readonly ? READONLY_NOTE : ""].filter((part) => part !== "").join("\n\n");
}

/**
 * `$CODEX_HOME/config.toml` for one run: the model on a custom provider (`wire_api = "responses"`, the only one Codex
 * still speaks), bounded retries, and every call other than the model API switched off (update check, analytics,
 * feedback, plugins, web search, history). The agent's prompt goes in `developer_instructions`, which Codex sends on
 * top of its own instructions.
 */
export function codexConfigToml(agent: ResolvedAgent, model: ModelTarget): string {
  const lines = [
    `model = ${tomlString(model.id)}`,
    `model_provider = "${PROVIDER_KEY}"`,
    "check_for_update_on_startup = false",
    'web_search = "disabled"',
  ];
  const developer = instructions(agent);
  if (developer) lines.push(`developer_instructions = ${tomlString(developer)}`);
  lines.push("", `[model_providers.${PROVIDER_KEY}]`, `name = ${tomlString(model.provider)}`);
  lines.push(`base_url = ${tomlString(model.baseUrl)}`);
  // The variable's name, not its value: the worker sets it in the container, Codex sends it as a Bearer token.
  if (model.apiKeyEnv) lines.push(`env_key = ${tomlString(model.apiKeyEnv)}`);
  lines.push('wire_api = "responses"', `request_max_retries = ${MAX_RETRIES}`, `stream_max_retries = ${MAX_RETRIES}`);
  lines.push("", "[analytics]", "enabled = false", "", "[feedback]", "enabled = false");
  lines.push("", "[history]", 'persistence = "none"', "", "[features]");
  lines.push("plugins = false", "remote_plugin = false", "apps = false", "api_key_model_discovery = false");
  lines.push("unbounded_connection_retries = false", "");
  return lines.join("\n");
}

/** The run's model, refused unless it speaks the only wire API Codex can use. */
function responsesModel(agent: ResolvedAgent, model: ModelTarget | null): ModelTarget {
  if (!model) {
    throw new PanCodeError(
      "INVALID_ARGUMENT",
      `agent ${agent.name} (runtime codex) needs a model, and none was resolved`,
    );
  }
  if (model.api !== "openai-responses") {
    throw new PanCodeError(
      "INVALID_ARGUMENT",
      `runtime codex speaks only the openai-responses API, but model ${model.ref} uses api "${model.api}"; pick an openai-responses provider or another runtime`,
    );
  }
  return model;
}

/**
 * The `codex` runtime: `codex exec --json`, ephemeral, outside Codex's own sandbox and approvals. Codex's bubblewrap
 * sandbox cannot start in our containers (no user namespaces), and the container is the sandbox: read-only is the
 * `:ro` mount of the worktree (plus a note to the model). Codex has no per-tool allow-list and no turn limit, so
 * `tools` and `maxTurns` do not apply; the run's timeout bounds it. It reports tokens without cost.
 */
export const codexRuntime: AgentRuntime = {
  name: "codex",
  needsModel: true,
  buildInvocation({ task, agent, model }) {
    const target = responsesModel(agent, model);
    const args = ["codex", "exec", "--json", "--skip-git-repo-check", "--ephemeral"];
    args.push("--dangerously-bypass-approvals-and-sandbox", "--", task);
    return {
      argv: ["sh", "-c", PRELUDE, "pancode-codex", ...args],
      env: { PANCODE_CODEX_CONFIG: codexConfigToml(agent, target) },
    };
  },
  createParser: createCodexParser,
};
