// Canned model server used only by record-agent-fixtures.sh to capture the real stdout of each agent CLI.
// It is NOT the project's scripted model server (that one lives in test/); it answers just enough of four wire
// APIs for one of two scenarios, and is started inside the agent container so the CLI only ever talks to
// 127.0.0.1 (the container runs with --network none).
//
//   OpenAI chat completions  POST .../chat/completions  (stream or not)     Pi, OpenCode
//   OpenAI responses         POST .../responses          (stream)           Codex
//   Anthropic messages       POST .../messages           (stream or not)    Claude Code, (Pi, OpenCode)
//   Gemini                   POST .../models/M:streamGenerateContent|:generateContent   Gemini CLI
//
// Scenario "text": one assistant answer. Scenario "tool": first a call of the CLI's own write tool creating
// hello.txt, then, once the request carries a tool result, a final answer. Every request is appended (auth
// headers redacted) as one JSON line to the log file, which is how the fixtures' README knows what each CLI sent.
import { appendFileSync } from "node:fs";
import { createServer } from "node:http";

// Usage: node canned-model-server.mjs [scenario=text] [log=/tmp/canned-model-server.log] [port=8787]
const [SCENARIO = "text", LOG = "/tmp/canned-model-server.log", PORT = "8787"] = process.argv.slice(2);
const TEXT = SCENARIO === "tool" ? "Done: hello.txt says hi." : "Hello from the canned model.";
/** Token counts every response reports: 120 prompt tokens of which 30 cached, 12 completion tokens. */
const USAGE = { input: 120, output: 12, cached: 30 };
let seq = 0;

const log = (entry) => appendFileSync(LOG, `${JSON.stringify(entry)}\n`);

/** The CLI's file-writing tool among the offered tool names, in order of preference. */
function pickWriteTool(names) {
  return ["write", "Write", "write_file", "exec_command", "shell"].find((n) => names.includes(n));
}

/** Arguments for that tool; Pi's `write` takes `path`, OpenCode's takes `filePath` (read from its schema). */
function argsFor(tool, writeKey) {
  switch (tool) {
    case "write":
      return writeKey === "filePath"
        ? { filePath: "/workspace/hello.txt", content: "hi\n" }
        : { path: "hello.txt", content: "hi\n" };
    case "Write":
      return { file_path: "/workspace/hello.txt", content: "hi\n" };
    case "write_file":
      return { file_path: "hello.txt", content: "hi\n" };
    case "exec_command":
      return { cmd: "printf 'hi\\n' > hello.txt" };
    case "shell":
      return { command: ["bash", "-lc", "printf 'hi\\n' > hello.txt"] };
    default:
      return {};
  }
}

function sse(res, events, named) {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  for (const e of events) {
    const data = typeof e === "string" ? e : JSON.stringify(e);
    res.write(named ? `event: ${e.type}\ndata: ${data}\n\n` : `data: ${data}\n\n`);
  }
  res.end();
}

function json(res, status, body) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

function openaiChat(res, body) {
  const done = (body.messages || []).some((m) => m.role === "tool");
  const tools = (body.tools || []).map((t) => t.function || {});
  const writeKey = tools.find((t) => t.name === "write")?.parameters?.properties?.filePath ? "filePath" : "path";
  const tool = SCENARIO === "tool" && !done ? pickWriteTool(tools.map((t) => t.name)) : undefined;
  const id = `chatcmpl-${++seq}`;
  const call = tool && {
    id: `call_${seq}`,
    type: "function",
    function: { name: tool, arguments: JSON.stringify(argsFor(tool, writeKey)) },
  };
  const usage = {
    prompt_tokens: USAGE.input,
    completion_tokens: USAGE.output,
    total_tokens: USAGE.input + USAGE.output,
    prompt_tokens_details: { cached_tokens: USAGE.cached },
  };
  if (!body.stream) {
    const message = call
      ? { role: "assistant", content: null, tool_calls: [call] }
      : { role: "assistant", content: TEXT };
    const choice = { index: 0, message, finish_reason: call ? "tool_calls" : "stop" };
    return json(res, 200, {
      id,
      object: "chat.completion",
      created: 1700000000,
      model: body.model,
      choices: [choice],
      usage,
    });
  }
  const chunk = (delta, finish = null) => ({
    id,
    object: "chat.completion.chunk",
    created: 1700000000,
    model: body.model,
    choices: [{ index: 0, delta, finish_reason: finish }],
  });
  const events = [chunk({ role: "assistant", content: "" })];
  if (call) {
    events.push(chunk({ tool_calls: [{ index: 0, ...call, function: { name: tool, arguments: "" } }] }));
    events.push(chunk({ tool_calls: [{ index: 0, function: { arguments: call.function.arguments } }] }));
    events.push(chunk({}, "tool_calls"));
  } else {
    const half = Math.ceil(TEXT.length / 2);
    events.push(chunk({ content: TEXT.slice(0, half) }), chunk({ content: TEXT.slice(half) }), chunk({}, "stop"));
  }
  events.push({ ...chunk({}), choices: [], usage }, "[DONE]");
  sse(res, events, false);
}

function openaiResponses(res, body) {
  const input = Array.isArray(body.input) ? body.input : [];
  const done = input.some((i) => i.type === "function_call_output" || i.type === "custom_tool_call_output");
  const tool = SCENARIO === "tool" && !done ? pickWriteTool((body.tools || []).map((t) => t.name)) : undefined;
  const id = `resp_${++seq}`;
  const usage = {
    input_tokens: USAGE.input,
    input_tokens_details: { cached_tokens: USAGE.cached },
    output_tokens: USAGE.output,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: USAGE.input + USAGE.output,
  };
  const response = {
    id,
    object: "response",
    created_at: 1700000000,
    model: body.model,
    status: "in_progress",
    output: [],
  };
  const events = [{ type: "response.created", response }];
  let item;
  if (tool) {
    const args = JSON.stringify(argsFor(tool));
    item = {
      type: "function_call",
      id: `fc_${seq}`,
      call_id: `call_${seq}`,
      name: tool,
      arguments: args,
      status: "completed",
    };
    events.push({
      type: "response.output_item.added",
      output_index: 0,
      item: { ...item, arguments: "", status: "in_progress" },
    });
    events.push({ type: "response.function_call_arguments.delta", output_index: 0, item_id: item.id, delta: args });
    events.push({ type: "response.function_call_arguments.done", output_index: 0, item_id: item.id, arguments: args });
  } else {
    const part = { type: "output_text", text: TEXT, annotations: [] };
    item = { type: "message", id: `msg_${seq}`, role: "assistant", status: "completed", content: [part] };
    const at = { output_index: 0, item_id: item.id, content_index: 0 };
    events.push({
      type: "response.output_item.added",
      output_index: 0,
      item: { ...item, content: [], status: "in_progress" },
    });
    events.push({ type: "response.content_part.added", ...at, part: { ...part, text: "" } });
    events.push({ type: "response.output_text.delta", ...at, delta: TEXT });
    events.push({ type: "response.output_text.done", ...at, text: TEXT });
    events.push({ type: "response.content_part.done", ...at, part });
  }
  events.push({ type: "response.output_item.done", output_index: 0, item });
  events.push({ type: "response.completed", response: { ...response, status: "completed", output: [item], usage } });
  events.forEach((e, i) => {
    e.sequence_number = i;
  });
  sse(res, events, true);
}

function anthropic(res, body) {
  const isResult = (c) => c.type === "tool_result";
  const done = (body.messages || []).some((m) => Array.isArray(m.content) && m.content.some(isResult));
  const tool = SCENARIO === "tool" && !done ? pickWriteTool((body.tools || []).map((t) => t.name)) : undefined;
  const id = `msg_${++seq}`;
  const usage = {
    input_tokens: USAGE.input - USAGE.cached,
    output_tokens: USAGE.output,
    cache_read_input_tokens: USAGE.cached,
    cache_creation_input_tokens: 0,
  };
  const block = tool
    ? { type: "tool_use", id: `toolu_${seq}`, name: tool, input: argsFor(tool) }
    : { type: "text", text: TEXT };
  const stop = tool ? "tool_use" : "end_turn";
  const message = { id, type: "message", role: "assistant", model: body.model, stop_sequence: null };
  if (!body.stream) return json(res, 200, { ...message, content: [block], stop_reason: stop, usage });
  const delta = tool
    ? { type: "input_json_delta", partial_json: JSON.stringify(block.input) }
    : { type: "text_delta", text: TEXT };
  sse(
    res,
    [
      {
        type: "message_start",
        message: { ...message, content: [], stop_reason: null, usage: { ...usage, output_tokens: 1 } },
      },
      {
        type: "content_block_start",
        index: 0,
        content_block: tool ? { ...block, input: {} } : { type: "text", text: "" },
      },
      { type: "content_block_delta", index: 0, delta },
      { type: "content_block_stop", index: 0 },
      {
        type: "message_delta",
        delta: { stop_reason: stop, stop_sequence: null },
        usage: { output_tokens: USAGE.output },
      },
      { type: "message_stop" },
    ],
    true,
  );
}

function gemini(res, body, stream) {
  const done = (body.contents || []).some((c) => (c.parts || []).some((p) => p.functionResponse));
  const names = (body.tools || []).flatMap((t) => (t.functionDeclarations || []).map((f) => f.name));
  const tool = SCENARIO === "tool" && !done ? pickWriteTool(names) : undefined;
  const parts = tool ? [{ functionCall: { name: tool, args: argsFor(tool) } }] : [{ text: TEXT }];
  const chunk = {
    candidates: [{ content: { role: "model", parts }, finishReason: "STOP", index: 0 }],
    usageMetadata: {
      promptTokenCount: USAGE.input,
      candidatesTokenCount: USAGE.output,
      totalTokenCount: USAGE.input + USAGE.output,
      cachedContentTokenCount: USAGE.cached,
    },
    modelVersion: "canned-1",
    responseId: `gem_${++seq}`,
  };
  if (!stream) return json(res, 200, chunk);
  sse(res, [chunk], false);
}

function route(req, res, body) {
  const url = req.url.split("?")[0];
  if (req.method === "GET" && url.endsWith("/models")) {
    return json(res, 200, { object: "list", data: [{ id: "canned-model", object: "model", owned_by: "canned" }] });
  }
  if (req.method === "POST" && url.endsWith("/chat/completions")) return openaiChat(res, body);
  if (req.method === "POST" && url.endsWith("/responses")) return openaiResponses(res, body);
  if (req.method === "POST" && url.endsWith("/messages/count_tokens"))
    return json(res, 200, { input_tokens: USAGE.input });
  if (req.method === "POST" && url.endsWith("/messages")) return anthropic(res, body);
  if (req.method === "POST" && url.includes(":streamGenerateContent")) return gemini(res, body, true);
  if (req.method === "POST" && url.includes(":generateContent")) return gemini(res, body, false);
  if (req.method === "POST" && url.includes(":countTokens")) return json(res, 200, { totalTokens: USAGE.input });
  // Claude Code sends `HEAD /` as a connectivity probe before its first request.
  if (req.method === "HEAD") return json(res, 200, {});
  json(res, 404, { error: { message: `no route ${req.method} ${url}` } });
}

createServer((req, res) => {
  let raw = "";
  req.on("data", (d) => {
    raw += d;
  });
  req.on("end", () => {
    let body = {};
    try {
      body = raw ? JSON.parse(raw) : {};
    } catch {
      body = { unparsed: raw.slice(0, 2000) };
    }
    const headers = { ...req.headers };
    for (const h of ["authorization", "x-api-key", "x-goog-api-key"]) if (headers[h]) headers[h] = "<redacted>";
    log({ method: req.method, url: req.url, headers, body });
    route(req, res, body);
  });
}).listen(Number(PORT), "127.0.0.1", () => log({ listening: Number(PORT), scenario: SCENARIO }));
