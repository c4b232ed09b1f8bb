import type { ModelTarget } from "@pancode/core";
import type { AgentRuntime } from "../agent-runtime.js";
import { createPiParser } from "./pi-events.js";

/**
 * Writes Pi's model registry into the container's (tmpfs) home from an environment variable, then runs pi with the
 * remaining arguments. Nothing is written into the image or the worktree, and the API key itself is never in the
 * file: models.json names the variable that holds it, which Pi resolves at run time.
 */
const PRELUDE =
  'mkdir -p "$HOME/.pi/agent" && printf "%s" "$PANCODE_PI_MODELS" > "$HOME/.pi/agent/models.json" && exec "$@"';

/** Pi names the Gemini API `google-generative-ai`; the other protocols carry the same names as ours. */
function piApi(api: ModelTarget["api"]): string {
  return api === "google" ? "google-generative-ai" : api;
}

/** Pi's `models.json` declaring the one provider and model this run uses, with the cluster's prices. */
export function piModelsJson(model: ModelTarget): string {
  return JSON.stringify({
    providers: {
      [model.provider]: {
        baseUrl: model.baseUrl,
        api: piApi(model.api),
        // An environment variable name: Pi reads the key from the container's environment.
        apiKey: model.apiKeyEnv || "PANCODE_NO_API_KEY",
        compat: { supportsDeveloperRole: false },
        models: [
          {
            id: model.id,
            name: model.id,
            cost: {
              input: model.price.input,
              output: model.price.output,
              cacheRead: model.price.cacheRead,
              cacheWrite: model.price.cacheWrite,
            },
            contextWindow: 128_000,
            maxTokens: 16_384,
          },
        ],
      },
    },
  });
}

/** The `pi` runtime: Pi's headless JSON mode, offline (no update checks), ephemeral session, explicit tools. */
export const piRuntime: AgentRuntime = {
  name: "pi",
  needsModel: true,
  buildInvocation({ task, agent, model }) {
    if (!model) throw new Error(`agent ${agent.name} (runtime pi) needs a model, and none was resolved`);
    const args = ["pi", "-p", "--mode", "json", "--no-session", "--offline", "--provider", model.provider];
    args.push("--model", model.id, "--no-extensions", "--no-skills", "--no-prompt-templates");
    if (agent.tools.length > 0) args.push("--tools", agent.tools.join(","));
    if (agent.prompt) args.push("--append-system-prompt", agent.prompt);
    args.push(task);
    return {
      argv: ["sh", "-c", PRELUDE, "pancode-pi", ...args],
      env: {
        PANCODE_PI_MODELS: piModelsJson(model),
        PI_OFFLINE: "1",
        PI_SKIP_VERSION_CHECK: "1",
        // A keyless provider (a local engine): Pi still wants a key, any value will do.
        ...(model.apiKeyEnv ? {} : { PANCODE_NO_API_KEY: "none" }),
      },
    };
  },
  createParser: createPiParser,
};
