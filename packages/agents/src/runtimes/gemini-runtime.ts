import { type ModelTarget, PanCodeError, type ResolvedAgent } from "@pancode/core";
import type { AgentRuntime } from "../agent-runtime.js";
import { createGeminiParser } from "./gemini-events.js";

/**
 * Writes Gemini CLI's settings (and the agent's prompt, as the user-level GEMINI.md) into the container's tmpfs home
 * from environment variables, exports GEMINI_API_KEY from the variable the model's provider names, then runs gemini
 * with the remaining arguments. The key is read inside the container at run time: it is never in a file or in argv.
 */
const PRELUDE = [
  'mkdir -p "$HOME/.gemini"',
  'printf "%s" "$PANCODE_GEMINI_SETTINGS" > "$HOME/.gemini/settings.json"',
  '{ [ -z "$PANCODE_AGENT_PROMPT" ] || printf "%s\\n" "$PANCODE_AGENT_PROMPT" > "$HOME/.gemini/GEMINI.md"; }',
  // Gemini CLI insists on a key in API-key mode; a provider without one gets a placeholder.
  'GEMINI_API_KEY="$(printenv "$PANCODE_API_KEY_ENV" || echo pancode-no-api-key)"',
  "export GEMINI_API_KEY",
  'exec "$@"',
].join(" && ");

/** Pi's tool vocabulary (agent specs) onto Gemini CLI's built-in tool names. */
const GEMINI_TOOLS: Readonly<Record<string, readonly string[]>> = {
  read: ["read_file", "read_many_files"],
  bash: ["run_shell_command"],
  edit: ["replace"],
  write: ["write_file"],
  grep: ["grep_search"],
  find: ["glob"],
  ls: ["list_directory"],
};

/** Gemini CLI's names for an agent's tools; throws INVALID_ARGUMENT on a tool it has no counterpart for. */
function geminiToolNames(agent: Pick<ResolvedAgent, "name" | "tools">): string[] {
  return agent.tools.flatMap((tool) => {
    const names = GEMINI_TOOLS[tool];
    if (!names) {
      throw new PanCodeError(
        "INVALID_ARGUMENT",
        `agent ${agent.name} lists tool "${tool}", which runtime gemini cannot map; known: ${Object.keys(GEMINI_TOOLS).join(", ")}`,
      );
    }
    return names;
  });
}

/**
 * `GOOGLE_GEMINI_BASE_URL` for a provider base URL: the Google SDK appends `/v1beta/models/…` itself, so a
 * configured API-version suffix (as in the public default `…googleapis.com/v1beta`) is removed.
 */
export function geminiBaseUrl(baseUrl: string): string {
  return baseUrl.replace(/\/+$/, "").replace(/\/(v1beta|v1alpha|v1)$/, "");
}

/**
 * User-level `settings.json`: API-key auth against the custom base URL (without it the base URL alone selects the
 * "gateway" auth type, which headless mode rejects), folder trust off (else YOLO is downgraded to asking, and
 * nobody answers), the agent's tools as the allow-list, its turn limit, and no update checks or usage statistics.
 */
export function geminiSettingsJson(agent: ResolvedAgent): string {
  const tools = geminiToolNames(agent);
  return JSON.stringify({
    general: { enableAutoUpdate: false, enableAutoUpdateNotification: false },
    privacy: { usageStatisticsEnabled: false },
    telemetry: { enabled: false },
    security: { auth: { selectedType: "gemini-api-key" }, folderTrust: { enabled: false } },
    ...(agent.maxTurns > 0 ? { model: { maxSessionTurns: agent.maxTurns } } : {}),
    // `tools.core` is the set of built-in tools Gemini registers at all; [] means the CLI's default set.
    ...(tools.length > 0 ? { tools: { core: tools } } : {}),
  });
}

function requireGoogleModel(agent: ResolvedAgent, model: ModelTarget | null): ModelTarget {
  if (!model) {
    throw new PanCodeError(
      "INVALID_ARGUMENT",
      `agent ${agent.name} (runtime gemini) needs a model, and none was resolved`,
    );
  }
  if (model.api !== "google") {
    throw new PanCodeError(
      "INVALID_ARGUMENT",
      `runtime gemini cannot drive model ${model.ref}: its provider speaks api "${model.api}", and Gemini CLI speaks only the Gemini API (api: google)`,
    );
  }
  return model;
}

/**
 * The `gemini` runtime: Gemini CLI headless (`-p`) with its JSON event stream, in YOLO approval mode so edits and
 * commands run without a human (the tool allow-list and, for read-only agents, the read-only mount are the limits).
 * The agent's prompt is added to Gemini's own system prompt as user-level context (GEMINI.md), not replacing it.
 */
export const geminiRuntime: AgentRuntime = {
  name: "gemini",
  needsModel: true,
  buildInvocation({ task, agent, model }) {
    const target = requireGoogleModel(agent, model);
    const args = ["gemini", "--output-format", "stream-json", "--model", target.id, "--skip-trust"];
    // `--prompt=` keeps a task that starts with "-" from being read as an option.
    args.push("--approval-mode", "yolo", `--prompt=${task}`);
    const env: Record<string, string> = {
      PANCODE_GEMINI_SETTINGS: geminiSettingsJson(agent),
      PANCODE_API_KEY_ENV: target.apiKeyEnv,
      GOOGLE_GEMINI_BASE_URL: geminiBaseUrl(target.baseUrl),
    };
    if (agent.prompt) env.PANCODE_AGENT_PROMPT = agent.prompt;
    return { argv: ["sh", "-c", PRELUDE, "pancode-gemini", ...args], env };
  },
  createParser: createGeminiParser,
};
