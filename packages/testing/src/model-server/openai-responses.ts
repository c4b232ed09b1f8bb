import { beginTurn, responseId, unixSeconds } from "./begin-turn.js";
import type { Exchange } from "./http-io.js";
import { SseWriter, sendJson } from "./http-io.js";
import { sendProviderError } from "./provider-errors.js";
import type { NormalisedMessage } from "./recorded-request.js";
import { arrayField, contentText, isObject, parseArguments, stringField } from "./recorded-request.js";
import type { PlannedUsage, TurnPlan } from "./turn-plan.js";
import { splitFragments, splitText } from "./turn-plan.js";

type Item = Record<string, unknown>;

/** Responses API usage: `input_tokens` includes cached tokens, broken out in `input_tokens_details`. */
function responsesUsage(usage: PlannedUsage): Record<string, unknown> {
  const input = usage.input + usage.cacheRead + usage.cacheWrite;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: usage.cacheRead },
    output_tokens: usage.output,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: input + usage.output,
  };
}

/**
 * `POST /v1/responses` (Codex CLI's wire format), streamed or not. The history must travel in `input` (Codex sends
 * it with `store: false`); `previous_response_id` is not supported because nothing is stored.
 */
export async function handleResponses(ex: Exchange): Promise<void> {
  const { body, record } = ex;
  record.api = "openai-responses";
  record.model = stringField(body, "model") ?? "";
  record.stream = body.stream === true;
  const input = typeof body.input === "string" ? [{ type: "message", role: "user", content: body.input }] : body.input;
  if (!Array.isArray(input)) {
    sendProviderError(ex, "openai", 400, "'input' is a required property (a string or an array of items)");
    return;
  }
  const { messages, system } = normaliseInput(input);
  const instructions = stringField(body, "instructions");
  const systemParts = [instructions, system].filter((part): part is string => part !== undefined && part !== "");
  record.messages = messages;
  record.system = systemParts.length > 0 ? systemParts.join("\n") : undefined;
  record.tools = arrayField(body, "tools").map((tool) =>
    isObject(tool) ? String(tool.name ?? tool.type) : String(tool),
  );
  const plan = await beginTurn(ex, "openai", "call_");
  if (!plan) return;
  const response = {
    id: responseId("resp_"),
    model: record.model,
    instructions: instructions ?? null,
    createdAt: unixSeconds(),
  };
  const items = outputItems(plan);
  if (!record.stream) {
    sendJson(ex, 200, responseObject(response, "completed", items, responsesUsage(plan.usage)));
    return;
  }
  const sse = new SseWriter(ex, plan.chunkDelayMs);
  let sequence = 0;
  const send = (data: { type: string } & Record<string, unknown>) =>
    sse.event({ ...data, sequence_number: sequence++ }, data.type);
  await send({ type: "response.created", response: responseObject(response, "in_progress", [], null) });
  await send({ type: "response.in_progress", response: responseObject(response, "in_progress", [], null) });
  for (const [outputIndex, item] of items.entries()) {
    if (item.type === "message") await streamMessageItem(send, outputIndex, item, plan.text);
    else await streamFunctionCallItem(send, outputIndex, item);
  }
  await send({
    type: "response.completed",
    response: responseObject(response, "completed", items, responsesUsage(plan.usage)),
  });
  sse.end();
}

type Send = (data: { type: string } & Record<string, unknown>) => Promise<void>;

async function streamMessageItem(send: Send, outputIndex: number, item: Item, text: string): Promise<void> {
  const itemId = String(item.id);
  const at = { item_id: itemId, output_index: outputIndex, content_index: 0 };
  await send({
    type: "response.output_item.added",
    output_index: outputIndex,
    item: { ...item, status: "in_progress", content: [] },
  });
  await send({
    type: "response.content_part.added",
    ...at,
    part: { type: "output_text", text: "", annotations: [], logprobs: [] },
  });
  for (const piece of splitText(text))
    await send({ type: "response.output_text.delta", ...at, delta: piece, logprobs: [] });
  await send({ type: "response.output_text.done", ...at, text, logprobs: [] });
  await send({
    type: "response.content_part.done",
    ...at,
    part: { type: "output_text", text, annotations: [], logprobs: [] },
  });
  await send({ type: "response.output_item.done", output_index: outputIndex, item });
}

async function streamFunctionCallItem(send: Send, outputIndex: number, item: Item): Promise<void> {
  const at = { item_id: String(item.id), output_index: outputIndex };
  const args = String(item.arguments);
  await send({
    type: "response.output_item.added",
    output_index: outputIndex,
    item: { ...item, arguments: "", status: "in_progress" },
  });
  for (const fragment of splitFragments(args))
    await send({ type: "response.function_call_arguments.delta", ...at, delta: fragment });
  await send({ type: "response.function_call_arguments.done", ...at, name: item.name, arguments: args });
  await send({ type: "response.output_item.done", output_index: outputIndex, item });
}

function outputItems(plan: TurnPlan): Item[] {
  const items: Item[] = [];
  if (plan.text !== "" || plan.toolCalls.length === 0) {
    items.push({
      id: responseId("msg_"),
      type: "message",
      role: "assistant",
      status: "completed",
      content: [{ type: "output_text", text: plan.text, annotations: [], logprobs: [] }],
    });
  }
  for (const call of plan.toolCalls) {
    items.push({
      id: `fc_${call.id}`,
      type: "function_call",
      call_id: call.id,
      name: call.name,
      arguments: call.argumentsJson,
      status: "completed",
    });
  }
  return items;
}

interface ResponseMeta {
  id: string;
  model: string;
  instructions: string | null;
  createdAt: number;
}

function responseObject(meta: ResponseMeta, status: string, output: Item[], usage: unknown): Record<string, unknown> {
  return {
    id: meta.id,
    object: "response",
    created_at: meta.createdAt,
    status,
    error: null,
    incomplete_details: null,
    instructions: meta.instructions,
    model: meta.model,
    output,
    output_text: output.flatMap((item) => (item.type === "message" ? [contentText(item.content)] : [])).join(""),
    parallel_tool_calls: true,
    tool_choice: "auto",
    tools: [],
    metadata: {},
    temperature: 1,
    top_p: 1,
    usage,
  };
}

/**
 * Input items to the shared shape. Consecutive model-produced items (assistant messages, `*_call` items, reasoning)
 * form one assistant turn, so a turn with text and two tool calls counts once.
 */
function normaliseInput(input: unknown[]): { messages: NormalisedMessage[]; system?: string } {
  const messages: NormalisedMessage[] = [];
  const system: string[] = [];
  let lastWasOutput = false;
  for (const item of input) {
    if (!isObject(item)) continue;
    const type = stringField(item, "type") ?? "message";
    const isOutput =
      (type === "message" && item.role === "assistant") || type === "reasoning" || type.endsWith("_call");
    if (isOutput) {
      let turn = messages.at(-1);
      if (!lastWasOutput || turn?.role !== "assistant") {
        turn = { role: "assistant", text: "" };
        messages.push(turn);
      }
      if (type === "message") turn.text = [turn.text, contentText(item.content)].filter((t) => t !== "").join("\n");
      if (type.endsWith("_call")) {
        const call = {
          id: stringField(item, "call_id"),
          name: stringField(item, "name") ?? type,
          arguments: parseArguments(item.arguments ?? item.input ?? item.action),
        };
        turn.toolCalls = [...(turn.toolCalls ?? []), call];
      }
    } else if (type.endsWith("_call_output")) {
      messages.push({ role: "tool", text: contentText(item.output), toolCallId: stringField(item, "call_id") });
    } else if (type === "message" && (item.role === "system" || item.role === "developer")) {
      system.push(contentText(item.content));
    } else if (type === "message") {
      messages.push({ role: "user", text: contentText(item.content) });
    }
    lastWasOutput = isOutput;
  }
  return { messages, system: system.length > 0 ? system.join("\n") : undefined };
}
