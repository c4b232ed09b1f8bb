import { beginTurn, responseId } from "./begin-turn.js";
import type { Exchange } from "./http-io.js";
import { SseWriter, sendJson } from "./http-io.js";
import { sendProviderError } from "./provider-errors.js";
import type { NormalisedMessage, NormalisedToolCall, RecordedRequest } from "./recorded-request.js";
import { arrayField, contentText, inputChars, isObject, stringField } from "./recorded-request.js";
import type { PlannedUsage, TurnPlan } from "./turn-plan.js";
import { estimateTokens, splitFragments, splitText } from "./turn-plan.js";

/** Anthropic usage: `input_tokens` excludes cached tokens, which are reported apart. */
function anthropicUsage(usage: PlannedUsage): Record<string, number> {
  return {
    input_tokens: usage.input,
    cache_creation_input_tokens: usage.cacheWrite,
    cache_read_input_tokens: usage.cacheRead,
    output_tokens: usage.output,
  };
}

/** `POST /v1/messages` (also with Claude Code's `?beta=true`), streamed or not. */
export async function handleMessages(ex: Exchange): Promise<void> {
  ex.record.api = "anthropic-messages";
  if (!fillRecord(ex)) return;
  const plan = await beginTurn(ex, "anthropic", "toolu_");
  if (!plan) return;
  const id = responseId("msg_");
  if (ex.record.stream) {
    await streamMessage(ex, id, plan);
    return;
  }
  sendJson(ex, 200, {
    id,
    type: "message",
    role: "assistant",
    model: ex.record.model,
    content: contentBlocks(plan),
    stop_reason: stopReason(plan),
    stop_sequence: null,
    usage: anthropicUsage(plan.usage),
  });
}

/** `POST /v1/messages/count_tokens`: the same estimate the server uses for usage. */
export function handleCountTokens(ex: Exchange): void {
  ex.record.api = "anthropic-count-tokens";
  if (!fillRecord(ex)) return;
  sendJson(ex, 200, { input_tokens: estimateTokens(inputChars(ex.record)) });
}

/** `GET /v1/models` asked with an `anthropic-version` header. */
export function handleAnthropicModels(ex: Exchange): void {
  ex.record.api = "anthropic-models";
  const createdAt = new Date(0).toISOString();
  const data = ex.modelIds.map((id) => ({ type: "model", id, display_name: id, created_at: createdAt }));
  sendJson(ex, 200, { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null });
}

/** Fills the record from a Messages body; answers 400 and returns false when `messages` is missing. */
function fillRecord(ex: Exchange): boolean {
  const { body, record } = ex;
  record.model = stringField(body, "model") ?? "";
  record.stream = body.stream === true;
  if (!Array.isArray(body.messages)) {
    sendProviderError(ex, "anthropic", 400, "messages: Field required");
    return false;
  }
  record.messages = normaliseMessages(body.messages);
  const system = contentText(body.system);
  record.system = system.length > 0 ? system : undefined;
  record.tools = arrayField(body, "tools").map((tool) =>
    isObject(tool) ? String(tool.name ?? tool.type) : String(tool),
  );
  return true;
}

function contentBlocks(plan: TurnPlan): Record<string, unknown>[] {
  const blocks: Record<string, unknown>[] = [];
  if (plan.text !== "" || plan.toolCalls.length === 0) blocks.push({ type: "text", text: plan.text });
  for (const call of plan.toolCalls)
    blocks.push({ type: "tool_use", id: call.id, name: call.name, input: call.arguments });
  return blocks;
}

async function streamMessage(ex: Exchange, id: string, plan: TurnPlan): Promise<void> {
  const sse = new SseWriter(ex, plan.chunkDelayMs);
  const send = (data: { type: string } & Record<string, unknown>) => sse.event(data, data.type);
  const startUsage = { ...anthropicUsage(plan.usage), output_tokens: Math.min(1, plan.usage.output) };
  const message = { id, type: "message", role: "assistant", model: ex.record.model, content: [] };
  await send({
    type: "message_start",
    message: { ...message, stop_reason: null, stop_sequence: null, usage: startUsage },
  });
  await send({ type: "ping" });
  let index = 0;
  if (plan.text !== "" || plan.toolCalls.length === 0) {
    await send({ type: "content_block_start", index, content_block: { type: "text", text: "" } });
    for (const piece of splitText(plan.text)) {
      await send({ type: "content_block_delta", index, delta: { type: "text_delta", text: piece } });
    }
    await send({ type: "content_block_stop", index });
    index += 1;
  }
  for (const call of plan.toolCalls) {
    await send({
      type: "content_block_start",
      index,
      content_block: { type: "tool_use", id: call.id, name: call.name, input: {} },
    });
    for (const fragment of splitFragments(call.argumentsJson)) {
      await send({ type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: fragment } });
    }
    await send({ type: "content_block_stop", index });
    index += 1;
  }
  await send({
    type: "message_delta",
    delta: { stop_reason: stopReason(plan), stop_sequence: null },
    usage: anthropicUsage(plan.usage),
  });
  await send({ type: "message_stop" });
  sse.end();
}

function stopReason(plan: TurnPlan): string {
  return plan.toolCalls.length > 0 ? "tool_use" : "end_turn";
}

/** Messages to the shared shape: `tool_result` blocks become role `tool` messages ahead of the user's own text. */
function normaliseMessages(raw: unknown[]): RecordedRequest["messages"] {
  const messages: NormalisedMessage[] = [];
  for (const item of raw) {
    if (!isObject(item)) continue;
    const blocks =
      typeof item.content === "string" ? [{ type: "text", text: item.content }] : arrayField(item, "content");
    const texts: string[] = [];
    const toolCalls: NormalisedToolCall[] = [];
    for (const block of blocks) {
      if (!isObject(block)) continue;
      if (block.type === "text" && typeof block.text === "string") texts.push(block.text);
      if (block.type === "tool_use") {
        toolCalls.push({ id: stringField(block, "id"), name: String(block.name ?? ""), arguments: block.input });
      }
      if (block.type === "tool_result") {
        messages.push({
          role: "tool",
          text: contentText(block.content),
          toolCallId: stringField(block, "tool_use_id"),
        });
      }
    }
    const text = texts.join("\n");
    if (item.role === "assistant") {
      messages.push(toolCalls.length > 0 ? { role: "assistant", text, toolCalls } : { role: "assistant", text });
    } else if (text.length > 0 || !blocks.some((b) => isObject(b) && b.type === "tool_result")) {
      messages.push({ role: "user", text });
    }
  }
  return messages;
}
