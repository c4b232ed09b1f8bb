import { beginTurn, responseId, unixSeconds } from "./begin-turn.js";
import type { Exchange } from "./http-io.js";
import { SseWriter, sendJson } from "./http-io.js";
import { sendProviderError } from "./provider-errors.js";
import type { NormalisedMessage } from "./recorded-request.js";
import { arrayField, contentText, isObject, parseArguments, stringField } from "./recorded-request.js";
import type { PlannedUsage, TurnPlan } from "./turn-plan.js";
import { splitFragments, splitText } from "./turn-plan.js";

/**
 * OpenAI usage. `prompt_tokens` includes cached tokens. When a turn reports cache writes, they are added as the
 * non-standard `cache_write_tokens` and counted in `cached_tokens` (OpenRouter's convention, which Pi's parser
 * undoes), so every client recovers the scenario's `input`.
 */
function openaiUsage(usage: PlannedUsage): Record<string, unknown> {
  const prompt = usage.input + usage.cacheRead + usage.cacheWrite;
  const details: Record<string, number> = { cached_tokens: usage.cacheRead + usage.cacheWrite };
  if (usage.cacheWrite > 0) details.cache_write_tokens = usage.cacheWrite;
  return {
    prompt_tokens: prompt,
    completion_tokens: usage.output,
    total_tokens: prompt + usage.output,
    prompt_tokens_details: details,
    completion_tokens_details: { reasoning_tokens: 0 },
  };
}

/** `POST /v1/chat/completions`, streamed (`stream: true`) or not. */
export async function handleChatCompletions(ex: Exchange): Promise<void> {
  const { body, record } = ex;
  record.api = "openai-chat";
  record.model = stringField(body, "model") ?? "";
  record.stream = body.stream === true;
  if (!Array.isArray(body.messages)) {
    sendProviderError(ex, "openai", 400, "'messages' is a required property and must be an array");
    return;
  }
  const { messages, system } = normaliseChatMessages(body.messages);
  record.messages = messages;
  record.system = system;
  record.tools = arrayField(body, "tools").map((tool) =>
    isObject(tool) && isObject(tool.function) ? String(tool.function.name) : String(isObject(tool) ? tool.type : tool),
  );
  const plan = await beginTurn(ex, "openai", "call_");
  if (!plan) return;
  const id = responseId("chatcmpl-");
  if (!record.stream) {
    sendJson(ex, 200, completion(id, record.model, plan));
    return;
  }
  const streamOptions = isObject(body.stream_options) ? body.stream_options : {};
  await streamCompletion(ex, { id, model: record.model, plan, includeUsage: streamOptions.include_usage === true });
}

/** `GET /v1/models`. */
export function handleOpenAiModels(ex: Exchange): void {
  ex.record.api = "openai-models";
  const created = unixSeconds();
  const data = ex.modelIds.map((id) => ({ id, object: "model", created, owned_by: "pancode-scripted" }));
  sendJson(ex, 200, { object: "list", data });
}

/**
 * Ollama's `GET /api/tags`: the scripted models in Ollama's listing shape, so the server can stand where Ollama
 * listens (Ollama serves OpenAI chat completions under `/v1` next to it).
 */
export function handleOllamaTags(ex: Exchange): void {
  ex.record.api = "ollama-tags";
  const modifiedAt = new Date(unixSeconds() * 1000).toISOString();
  const models = ex.modelIds.map((name) => ({
    name,
    model: name,
    modified_at: modifiedAt,
    size: 0,
    digest: "",
    details: { format: "scripted", family: "pancode-scripted" },
  }));
  sendJson(ex, 200, { models });
}

function completion(id: string, model: string, plan: TurnPlan): Record<string, unknown> {
  const message: Record<string, unknown> = {
    role: "assistant",
    // The real API sends null content for a pure tool-call answer.
    content: plan.text === "" && plan.toolCalls.length > 0 ? null : plan.text,
    refusal: null,
    annotations: [],
  };
  if (plan.toolCalls.length > 0) {
    message.tool_calls = plan.toolCalls.map((call) => ({
      id: call.id,
      type: "function",
      function: { name: call.name, arguments: call.argumentsJson },
    }));
  }
  return {
    id,
    object: "chat.completion",
    created: unixSeconds(),
    model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason(plan) }],
    usage: openaiUsage(plan.usage),
    service_tier: "default",
    system_fingerprint: null,
  };
}

interface StreamArgs {
  id: string;
  model: string;
  plan: TurnPlan;
  includeUsage: boolean;
}

async function streamCompletion(ex: Exchange, args: StreamArgs): Promise<void> {
  const { plan } = args;
  const sse = new SseWriter(ex, plan.chunkDelayMs);
  const base = {
    id: args.id,
    object: "chat.completion.chunk",
    created: unixSeconds(),
    model: args.model,
    system_fingerprint: null,
  };
  // With include_usage the real API sends `usage: null` on every chunk but the last.
  const usageNull = args.includeUsage ? { usage: null } : {};
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
    ...base,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...usageNull,
  });
  await sse.event(chunk({ role: "assistant", content: "", refusal: null }));
  for (const piece of splitText(plan.text)) await sse.event(chunk({ content: piece }));
  for (const [index, call] of plan.toolCalls.entries()) {
    const start = { index, id: call.id, type: "function", function: { name: call.name, arguments: "" } };
    await sse.event(chunk({ tool_calls: [start] }));
    for (const fragment of splitFragments(call.argumentsJson)) {
      await sse.event(chunk({ tool_calls: [{ index, function: { arguments: fragment } }] }));
    }
  }
  await sse.event(chunk({}, finishReason(plan)));
  if (args.includeUsage) await sse.event({ ...base, choices: [], usage: openaiUsage(plan.usage) });
  await sse.raw("[DONE]");
  sse.end();
}

function finishReason(plan: TurnPlan): string {
  return plan.toolCalls.length > 0 ? "tool_calls" : "stop";
}

/** Chat messages to the shared shape; `system` and `developer` messages become the system prompt. */
function normaliseChatMessages(raw: unknown[]): { messages: NormalisedMessage[]; system?: string } {
  const messages: NormalisedMessage[] = [];
  const system: string[] = [];
  for (const item of raw) {
    if (!isObject(item)) continue;
    const text = contentText(item.content);
    switch (item.role) {
      case "system":
      case "developer":
        system.push(text);
        break;
      case "assistant": {
        const toolCalls = arrayField(item, "tool_calls")
          .filter(isObject)
          .map((call) => {
            const fn = isObject(call.function) ? call.function : {};
            return {
              id: stringField(call, "id"),
              name: String(fn.name ?? ""),
              arguments: parseArguments(fn.arguments),
            };
          });
        messages.push(toolCalls.length > 0 ? { role: "assistant", text, toolCalls } : { role: "assistant", text });
        break;
      }
      case "tool":
      case "function":
        messages.push({
          role: "tool",
          text,
          toolCallId: stringField(item, "tool_call_id") ?? stringField(item, "name"),
        });
        break;
      default:
        messages.push({ role: "user", text });
    }
  }
  return { messages, system: system.length > 0 ? system.join("\n") : undefined };
}
