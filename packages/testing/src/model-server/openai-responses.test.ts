import OpenAI from "openai";
import type { ResponseInputItem, ResponseStreamEvent, Tool } from "openai/resources/responses/responses";
import { afterEach, describe, expect, it } from "vitest";
import type { Scenario } from "./scenario.js";
import type { ModelServer } from "./server.js";
import { startModelServer } from "./server.js";

const shellArgs = { command: ["bash", "-lc", "echo 'héllo 🎉' > hello.txt"], workdir: "/workspace" };

const scenario: Scenario = {
  name: "codex-style",
  turns: [
    {
      text: "Creating the file.",
      toolCalls: [{ name: "shell", arguments: shellArgs }],
      usage: { input: 500, output: 60, cacheRead: 200 },
    },
    { text: "hello.txt is in place.", usage: { input: 50, output: 8 } },
  ],
};

const tools: Tool[] = [{ type: "function", name: "shell", parameters: { type: "object" }, strict: false }];

let server: ModelServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function start(): Promise<{ srv: ModelServer; client: OpenAI }> {
  server = await startModelServer({ scenarios: scenario });
  return { srv: server, client: new OpenAI({ baseURL: server.openaiBaseUrl, apiKey: "sk-codex", maxRetries: 0 }) };
}

describe("OpenAI responses", () => {
  it("streams a function call turn, then a text turn, accumulated by the official SDK", async () => {
    const { srv, client } = await start();
    const input: ResponseInputItem[] = [
      { role: "developer", content: "Follow the repo's AGENTS.md." },
      { role: "user", content: "Create hello.txt" },
    ];
    const stream = client.responses.stream({
      model: "gpt-x",
      instructions: "You are Codex.",
      input,
      tools,
      store: false,
    });
    const events: ResponseStreamEvent["type"][] = [];
    stream.on("event", (event) => events.push(event.type));
    const first = await stream.finalResponse();
    expect(events[0]).toBe("response.created");
    expect(events.at(-1)).toBe("response.completed");
    expect(events.filter((e) => e === "response.function_call_arguments.delta").length).toBeGreaterThan(2);
    expect(first.output_text).toBe("Creating the file.");
    const call = first.output.find((item) => item.type === "function_call");
    expect(call?.type === "function_call" && [call.name, JSON.parse(call.arguments)]).toEqual(["shell", shellArgs]);
    expect(first.usage).toMatchObject({
      input_tokens: 700,
      output_tokens: 60,
      input_tokens_details: { cached_tokens: 200 },
    });

    // Codex replays the whole history (store: false): output items, then the tool output.
    const next: ResponseInputItem[] = [
      ...input,
      ...first.output.map((item) => item as ResponseInputItem),
      { type: "function_call_output", call_id: call?.type === "function_call" ? call.call_id : "", output: "exit 0" },
    ];
    const second = await client.responses.stream({ model: "gpt-x", input: next, tools, store: false }).finalResponse();
    expect(second.output_text).toBe("hello.txt is in place.");

    expect(srv.requests[0]).toMatchObject({
      api: "openai-responses",
      model: "gpt-x",
      system: "You are Codex.\nFollow the repo's AGENTS.md.",
      tools: ["shell"],
      stream: true,
      apiKey: "sk-codex",
      turnIndex: 0,
    });
    // The message item and the function_call item of turn 0 count as one assistant turn.
    expect(srv.requests[1]?.turnIndex).toBe(1);
    expect(srv.requests[1]?.messages.map((m) => m.role)).toEqual(["user", "assistant", "tool"]);
    expect(srv.requests[1]?.messages[1]?.toolCalls).toEqual([{ id: "call_t0_0", name: "shell", arguments: shellArgs }]);
  });

  it("answers non-streamed requests with the full response object", async () => {
    const { client } = await start();
    const res = await client.responses.create({ model: "gpt-x", input: "Create hello.txt", tools });
    expect(res.status).toBe("completed");
    expect(res.output.map((item) => item.type)).toEqual(["message", "function_call"]);
    expect(res.usage?.total_tokens).toBe(760);
  });
});
