/**
 * Scripted model server: the only fake in PanCode's tests is the LLM's brain. It speaks the real provider HTTP APIs
 * (OpenAI Chat Completions and Responses, Anthropic Messages, Gemini generateContent; streamed and not, tool calls,
 * usage) so real SDKs and agent CLIs run unmodified against it, and answers from a scenario file: turn N of the
 * scenario answers a conversation that already holds N assistant messages, so concurrent conversations never
 * interfere. Every request is recorded for assertions (model, messages, tools offered, system prompt, API key).
 *
 * @example
 * ```ts
 * import { loadScenario, startModelServer } from "@pancode/testing/model-server";
 *
 * const server = await startModelServer({ scenarios: await loadScenario("test/fixtures/scenarios/write-file.yaml") });
 * // Point an agent at server.openaiBaseUrl (OpenAI-compatible) or server.anthropicBaseUrl, any API key.
 * // ... run the agent ...
 * expect(server.requests[0]?.tools).toContain("write");
 * await server.stop();
 * ```
 */

export type { ModelApi, NormalisedMessage, NormalisedToolCall, RecordedRequest } from "./recorded-request.js";
export { loadScenario, parseScenario, Scenario, ScenarioToolCall, ScenarioTurn, ScenarioUsage } from "./scenario.js";
export type { ModelServer, ModelServerLogger, ModelServerOptions } from "./server.js";
export { DEFAULT_MODEL_ID, startModelServer } from "./server.js";
export { EXHAUSTED_TEXT } from "./turn-plan.js";
