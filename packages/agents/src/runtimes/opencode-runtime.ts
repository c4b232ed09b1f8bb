import { type ModelTarget, PanCodeError, type ResolvedAgent } from "@pancode/core";
import type { AgentRuntime } from "../agent-runtime.js";
import { geminiBaseUrl } from "./gemini-runtime.js";
import { createOpenCodeParser } from "./opencode-events.js";

/** Provider key of the run's model in OpenCode's config: our own, so it never merges with a built-in provider. */
const PROVIDER = "pancode";
/** The OpenCode agent every run uses (selected with `--agent`). */
const AGENT = "pancode";
/** Where the prelude writes the agent's prompt, which the config lists as an instruction file. */
const PROMPT_FILE = "$HOME/.config/pancode/opencode-instructions.md";
/** Where the prelude writes the task, which opencode reads on stdin. */
const TASK_FILE = "$HOME/.config/pancode/task.md";

/**
 * Writes the agent's prompt (when it has one) into the container's tmpfs home, where OpenCode's config points its
 * `instructions`, and runs opencode with the remaining arguments and the task on stdin: OpenCode wraps a message
 * argument that contains spaces in quotes, so the model would see `"Fix the bug"` instead of the task. The config
 * travels in OPENCODE_CONFIG_CONTENT and names the API key's variable (`{env:NAME}`); the key is never in a file or
 * in argv.
 */
const PRELUDE = [
  'mkdir -p "$HOME/.config/pancode"',
  `{ [ -z "$PANCODE_AGENT_PROMPT" ] || printf "%s\\n" "$PANCODE_AGENT_PROMPT" > "${PROMPT_FILE}"; }`,
  `printf "%s" "$PANCODE_TASK" > "${TASK_FILE}"`,
  `exec "$@" < "${TASK_FILE}"`,
].join(" && ");

/**
 * AI SDK provider package per wire API; all are bundled in the OpenCode binary (nothing is installed at run time).
 * Each was driven against the scripted model server (`@ai-sdk/openai` speaks the Responses API).
 */
const SDK_PACKAGES: Readonly<Record<string, string>> = {
  "openai-completions": "@ai-sdk/openai-compatible",
  "anthropic-messages": "@ai-sdk/anthropic",
  "openai-responses": "@ai-sdk/openai",
  google: "@ai-sdk/google",
};

/** Pi's tool vocabulary (agent specs) onto OpenCode's permission names (`edit` covers write, edit and patch). */
const OPENCODE_PERMISSIONS: Readonly<Record<string, string>> = {
  read: "read",
  bash: "bash",
  edit: "edit",
  write: "edit",
  grep: "grep",
  find: "glob",
  ls: "list",
};

/**
 * The agent's permissions: with a tool list, everything else is denied (denied tools are not even offered to the
 * model); without one, OpenCode's defaults. A read-only agent never gets `edit`, whatever it lists.
 */
export function openCodePermissions(agent: Pick<ResolvedAgent, "name" | "tools" | "readonly">): Record<string, string> {
  const permission: Record<string, string> = agent.tools.length > 0 ? { "*": "deny" } : {};
  for (const tool of agent.tools) {
    const name = OPENCODE_PERMISSIONS[tool];
    if (!name) {
      throw new PanCodeError(
        "INVALID_ARGUMENT",
        `agent ${agent.name} lists tool "${tool}", which runtime opencode cannot map; known: ${Object.keys(OPENCODE_PERMISSIONS).join(", ")}`,
      );
    }
    permission[name] = "allow";
  }
  if (agent.readonly) permission.edit = "deny";
  return permission;
}

/**
 * The `baseURL` each AI SDK package expects. Cluster configs follow Pi's convention (Anthropic and Gemini bases
 * without an API version), while the Anthropic package appends `/messages` to a base ending in `/v1` and the Google
 * one `/models/…` to a base ending in `/v1beta`.
 */
function sdkBaseUrl(model: ModelTarget): string {
  const base = model.baseUrl.replace(/\/+$/, "");
  if (model.api === "google") return `${geminiBaseUrl(base)}/v1beta`;
  return model.api === "anthropic-messages" && !base.endsWith("/v1") ? `${base}/v1` : base;
}

/**
 * OpenCode's config for one run: the run's model as the only provider (with the cluster's prices, so the cost
 * OpenCode reports is the cluster's), the `pancode` agent with the agent's permissions and turn limit, the agent's
 * prompt as an instruction file (added to OpenCode's own system prompt), and no sharing, snapshots or updates.
 */
export function openCodeConfigJson(agent: ResolvedAgent, model: ModelTarget): string {
  const npm = SDK_PACKAGES[model.api];
  if (!npm) {
    throw new PanCodeError(
      "INVALID_ARGUMENT",
      `runtime opencode cannot drive model ${model.ref}: its provider speaks api "${model.api}"; OpenCode runs here with ${Object.keys(SDK_PACKAGES).join(" or ")}`,
    );
  }
  const modelRef = `${PROVIDER}/${model.id}`;
  return JSON.stringify({
    autoupdate: false,
    share: "disabled",
    snapshot: false,
    enabled_providers: [PROVIDER],
    model: modelRef,
    // Background tasks (titles, summaries) use the same model: a provider serves only the models it declares.
    small_model: modelRef,
    provider: {
      [PROVIDER]: {
        npm,
        name: model.provider,
        options: {
          baseURL: sdkBaseUrl(model),
          // A reference OpenCode resolves from its environment at start; the key is never in the config.
          apiKey: model.apiKeyEnv ? `{env:${model.apiKeyEnv}}` : "pancode-no-api-key",
        },
        models: {
          [model.id]: {
            name: model.id,
            cost: {
              input: model.price.input,
              output: model.price.output,
              cache_read: model.price.cacheRead,
              cache_write: model.price.cacheWrite,
            },
          },
        },
      },
    },
    ...(agent.prompt ? { instructions: [PROMPT_FILE.replace("$HOME", "{env:HOME}")] } : {}),
    agent: {
      [AGENT]: {
        mode: "primary",
        description: `PanCode agent ${agent.name}`,
        ...(agent.maxTurns > 0 ? { steps: agent.maxTurns } : {}),
        permission: openCodePermissions(agent),
      },
    },
  });
}

/**
 * The `opencode` runtime: `opencode run` with its JSON event stream. `--title` spares the extra model call that
 * would otherwise name the session.
 */
export const openCodeRuntime: AgentRuntime = {
  name: "opencode",
  needsModel: true,
  buildInvocation({ task, agent, model }) {
    if (!model) {
      throw new PanCodeError(
        "INVALID_ARGUMENT",
        `agent ${agent.name} (runtime opencode) needs a model, and none was resolved`,
      );
    }
    const args = ["opencode", "run", "--format", "json", "--model", `${PROVIDER}/${model.id}`, "--agent", AGENT];
    args.push("--title", `pancode ${agent.name}`);
    const env: Record<string, string> = {
      PANCODE_TASK: task,
      OPENCODE_CONFIG_CONTENT: openCodeConfigJson(agent, model),
      // The agent image sets these too; repeated so a custom image cannot make a run reach anything but the model.
      OPENCODE_DISABLE_AUTOUPDATE: "1",
      OPENCODE_DISABLE_MODELS_FETCH: "1",
      OPENCODE_DISABLE_LSP_DOWNLOAD: "1",
      OPENCODE_DISABLE_DEFAULT_PLUGINS: "1",
      OPENCODE_DISABLE_SHARE: "1",
    };
    if (agent.prompt) env.PANCODE_AGENT_PROMPT = agent.prompt;
    return { argv: ["sh", "-c", PRELUDE, "pancode-opencode", ...args], env };
  },
  createParser: createOpenCodeParser,
};
