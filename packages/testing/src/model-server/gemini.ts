import { beginTurn, responseId } from "./begin-turn.js";
import type { Exchange } from "./http-io.js";
import { SseWriter, sendJson } from "./http-io.js";
import { sendProviderError } from "./provider-errors.js";
import type { NormalisedMessage, NormalisedToolCall } from "./recorded-request.js";
import { arrayField, inputChars, isObject } from "./recorded-request.js";
import type { PlannedToolCall, PlannedUsage, TurnPlan } from "./turn-plan.js";
import { estimateTokens, splitText } from "./turn-plan.js";

type Part = Record<string, unknown>;

/** Gemini usage: `promptTokenCount` includes cached tokens (`cachedContentTokenCount`, only when non-zero). */
function geminiUsage(usage: PlannedUsage): Record<string, number> {
  const prompt = usage.input + usage.cacheRead + usage.cacheWrite;
  return {
    promptTokenCount: prompt,
    candidatesTokenCount: usage.output,
    totalTokenCount: prompt + usage.output,
    ...(usage.cacheRead > 0 ? { cachedContentTokenCount: usage.cacheRead } : {}),
  };
}

/**
 * `POST /v1beta/models/{model}:generateContent`, `:streamGenerateContent` (SSE with `?alt=sse`, else one JSON
 * array) and `:countTokens`. The turn index is the number of `model` contents in the history.
 */
export async function handleGemini(ex: Exchange): Promise<void> {
  const { body, record } = ex;
  const [, encodedModel = "", method = ""] = /^\/[^/]+\/models\/([^/:]+):([A-Za-z]+)$/.exec(ex.url.pathname) ?? [];
  record.api = method === "countTokens" ? "gemini-count-tokens" : "gemini";
  record.model = decodeURIComponent(encodedModel);
  record.stream = method === "streamGenerateContent";
  if (!["generateContent", "streamGenerateContent", "countTokens"].includes(method)) {
    sendProviderError(ex, "gemini", 404, `Unknown method: models/${record.model}:${method}`);
    return;
  }
  if (!Array.isArray(body.contents)) {
    sendProviderError(ex, "gemini", 400, "* GenerateContentRequest.contents: contents is not specified");
    return;
  }
  record.messages = normaliseContents(body.contents);
  const instruction = body.systemInstruction ?? body.system_instruction;
  const system =
    typeof instruction === "string"
      ? instruction
      : isObject(instruction)
        ? partsText(arrayField(instruction, "parts"))
        : "";
  record.system = system.length > 0 ? system : undefined;
  record.tools = arrayField(body, "tools")
    .filter(isObject)
    .flatMap((tool) =>
      Array.isArray(tool.functionDeclarations)
        ? tool.functionDeclarations.filter(isObject).map((decl) => String(decl.name))
        : Object.keys(tool),
    );
  if (method === "countTokens") {
    sendJson(ex, 200, { totalTokens: estimateTokens(inputChars(record)) });
    return;
  }
  const plan = await beginTurn(ex, "gemini", "call_");
  if (!plan) return;
  const chunks = responseChunks(plan, record.model);
  if (method === "generateContent") {
    // One answer holds everything, usage included (the first streamed chunk has none when the text is split).
    sendJson(ex, 200, {
      ...chunks[0],
      candidates: [candidate(answerParts(plan), true)],
      usageMetadata: geminiUsage(plan.usage),
    });
  } else if (ex.url.searchParams.get("alt") === "sse") {
    const sse = new SseWriter(ex, plan.chunkDelayMs);
    for (const chunk of chunks) await sse.event(chunk);
    sse.end();
  } else {
    sendJson(ex, 200, chunks);
  }
}

/** `GET /v1beta/models`. */
export function handleGeminiModels(ex: Exchange): void {
  ex.record.api = "gemini-models";
  const methods = ["generateContent", "streamGenerateContent", "countTokens"];
  sendJson(ex, 200, {
    models: ex.modelIds.map((id) => ({ name: `models/${id}`, displayName: id, supportedGenerationMethods: methods })),
  });
}

function answerParts(plan: TurnPlan): Part[] {
  const parts: Part[] = plan.text !== "" || plan.toolCalls.length === 0 ? [{ text: plan.text }] : [];
  for (const call of plan.toolCalls) parts.push({ functionCall: functionCall(call) });
  return parts;
}

function functionCall(call: PlannedToolCall): Record<string, unknown> {
  // The Gemini API sends no call ids; pass one only when the scenario chose it.
  return { name: call.name, args: call.arguments, ...(call.generatedId ? {} : { id: call.id }) };
}

function candidate(parts: Part[], last: boolean): Record<string, unknown> {
  return { content: { parts, role: "model" }, index: 0, ...(last ? { finishReason: "STOP" } : {}) };
}

/**
 * Streamed chunks: one per text piece, then one with every function call. The last chunk carries `finishReason`
 * and usage, as the real API does; Gemini CLI treats a final chunk without parts as an invalid stream.
 */
function responseChunks(plan: TurnPlan, model: string): Record<string, unknown>[] {
  const partGroups: Part[][] = splitText(plan.text).map((piece) => [{ text: piece }]);
  if (plan.toolCalls.length > 0) partGroups.push(plan.toolCalls.map((call) => ({ functionCall: functionCall(call) })));
  if (partGroups.length === 0) partGroups.push([{ text: "" }]);
  const id = responseId("");
  return partGroups.map((parts, i) => {
    const last = i === partGroups.length - 1;
    return {
      candidates: [candidate(parts, last)],
      ...(last ? { usageMetadata: geminiUsage(plan.usage) } : {}),
      modelVersion: model,
      responseId: id,
    };
  });
}

function partsText(parts: unknown[]): string {
  return parts
    .filter((part): part is Part => isObject(part) && typeof part.text === "string" && part.thought !== true)
    .map((part) => String(part.text))
    .join("\n");
}

/** Contents to the shared shape: `model` is `assistant`; `functionResponse` parts become role `tool` messages. */
function normaliseContents(contents: unknown[]): NormalisedMessage[] {
  const messages: NormalisedMessage[] = [];
  for (const content of contents) {
    if (!isObject(content)) continue;
    const parts = arrayField(content, "parts").filter(isObject);
    const text = partsText(parts);
    if (content.role === "model") {
      const toolCalls: NormalisedToolCall[] = parts
        .filter((p) => isObject(p.functionCall))
        .map((p) => {
          const call = p.functionCall as Record<string, unknown>;
          return {
            id: typeof call.id === "string" ? call.id : undefined,
            name: String(call.name),
            arguments: call.args,
          };
        });
      messages.push(toolCalls.length > 0 ? { role: "assistant", text, toolCalls } : { role: "assistant", text });
      continue;
    }
    const responses = parts
      .filter((p) => isObject(p.functionResponse))
      .map((p) => p.functionResponse as Record<string, unknown>);
    for (const response of responses) {
      const toolCallId = typeof response.id === "string" ? response.id : String(response.name);
      messages.push({ role: "tool", text: JSON.stringify(response.response ?? null), toolCallId });
    }
    if (text.length > 0 || responses.length === 0) messages.push({ role: "user", text });
  }
  return messages;
}
