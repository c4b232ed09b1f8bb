import { type ModelTarget, PanCodeError, type ResolvedAgent } from "@pancode/core";
import type { AgentRuntime } from "../agent-runtime.js";
import { ALL_TOOLS, READONLY_TOOLS } from "../agent-spec.js";
import { createClaudeCodeParser } from "./claude-code-events.js";

/**
 * Claude Code reads its key from ANTHROPIC_API_KEY only, while the worker puts the provider's key into the container
 * under the provider's own variable name (model.apiKeyEnv). The prelude copies it across at start, inside the
 * container, so the value is never part of argv, of the env the worker builds, or of any file.
 */
const PRELUDE = [
  'if [ -n "$PANCODE_KEY_ENV" ]; then ANTHROPIC_API_KEY="$(printenv "$PANCODE_KEY_ENV")"; else ANTHROPIC_API_KEY=pancode-no-key; fi',
  "export ANTHROPIC_API_KEY",
  "unset PANCODE_KEY_ENV",
  'exec "$@"',
].join("; ");

/**
 * Pi's tool vocabulary (what agent specs list) to Claude Code's built-in tools. Claude Code 2.1 has no `LS` tool
 * (`--tools LS` is silently dropped), so `ls` maps to Glob like `find`; Bash covers the rest.
 */
const CLAUDE_TOOL_NAMES: Readonly<Record<string, string>> = {
  read: "Read",
  bash: "Bash",
  edit: "Edit",
  write: "Write",
  grep: "Grep",
  find: "Glob",
  ls: "Glob",
};

/** Claude Code tools that change files: never offered to a read-only agent, whatever its spec lists. */
const CLAUDE_WRITE_TOOLS = new Set(["Edit", "Write"]);

/** API retries per model call (Claude's default is 10 with backoff); the run's own timeout bounds the rest. */
const MAX_RETRIES = "2";

/**
 * The Claude Code tool list of an agent: its Pi-vocabulary tools mapped and de-duplicated; an empty list means the
 * same default as every coding runtime (all tools, or the read-only set), never Claude's own default, which adds
 * web and sub-agent tools. Unknown names are refused (specs are validated, so this means a skewed coordinator).
 */
export function claudeTools(agent: Pick<ResolvedAgent, "name" | "tools" | "readonly">): string[] {
  const wanted = agent.tools.length > 0 ? agent.tools : agent.readonly ? READONLY_TOOLS : ALL_TOOLS;
  const mapped = new Set<string>();
  for (const tool of wanted) {
    const name = CLAUDE_TOOL_NAMES[tool];
    if (!name) {
      throw new PanCodeError(
        "INVALID_ARGUMENT",
        `agent ${agent.name}: tool "${tool}" has no Claude Code equivalent (known: ${Object.keys(CLAUDE_TOOL_NAMES).join(", ")})`,
      );
    }
    if (!(agent.readonly && CLAUDE_WRITE_TOOLS.has(name))) mapped.add(name);
  }
  return [...mapped];
}

/** The run's model, refused unless it speaks the only wire API Claude Code can use. */
function anthropicModel(agent: ResolvedAgent, model: ModelTarget | null): ModelTarget {
  if (!model) {
    throw new PanCodeError(
      "INVALID_ARGUMENT",
      `agent ${agent.name} (runtime claude-code) needs a model, and none was resolved`,
    );
  }
  if (model.api !== "anthropic-messages") {
    throw new PanCodeError(
      "INVALID_ARGUMENT",
      `runtime claude-code speaks only the anthropic-messages API, but model ${model.ref} uses api "${model.api}"; pick an anthropic-messages provider or another runtime`,
    );
  }
  return model;
}

/**
 * The `claude-code` runtime: `claude -p` with the stream-json output (plus partial messages, which carry each model
 * call's final token counts), an explicit tool list that runs without asking (the container is the sandbox; a
 * read-only agent's worktree is mounted `:ro` and it gets no Write/Edit), no session files, and the agent's prompt
 * appended to Claude Code's own. Cost is left to the cluster's price table: Claude prices unknown model ids as Opus.
 */
export const claudeCodeRuntime: AgentRuntime = {
  name: "claude-code",
  needsModel: true,
  buildInvocation({ task, agent, model }) {
    const target = anthropicModel(agent, model);
    const tools = claudeTools(agent).join(",");
    const args = ["claude", "-p", "--output-format", "stream-json", "--verbose", "--include-partial-messages"];
    args.push("--model", target.id, "--no-session-persistence", "--permission-mode", "bypassPermissions");
    args.push("--tools", tools, "--allowedTools", tools);
    if (agent.maxTurns > 0) args.push("--max-turns", String(agent.maxTurns));
    if (agent.prompt) args.push("--append-system-prompt", agent.prompt);
    // --tools and --allowedTools are variadic: without "--" they would swallow the task as one more tool name.
    args.push("--", task);
    return {
      argv: ["sh", "-c", PRELUDE, "pancode-claude", ...args],
      env: {
        PANCODE_KEY_ENV: target.apiKeyEnv,
        ANTHROPIC_BASE_URL: target.baseUrl,
        // Background calls (summaries, titles) must not ask the server for a model it does not serve.
        ANTHROPIC_DEFAULT_HAIKU_MODEL: target.id,
        ANTHROPIC_SMALL_FAST_MODEL: target.id,
        CLAUDE_CODE_MAX_RETRIES: MAX_RETRIES,
        // The agent image sets these too; repeated so a custom image stays quiet as well.
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
        DISABLE_AUTOUPDATER: "1",
        DISABLE_TELEMETRY: "1",
        DISABLE_ERROR_REPORTING: "1",
      },
    };
  },
  createParser: createClaudeCodeParser,
};
