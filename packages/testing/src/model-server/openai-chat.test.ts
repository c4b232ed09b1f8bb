import OpenAI from "openai";
import type { ChatCompletionMessageParam, ChatCompletionTool } from "openai/resources/chat/completions";
import { afterEach, describe, expect, it } from "vitest";
import type { Scenario } from "./scenario.js";
import type { ModelServer } from "./server.js";
import { startModelServer } from "./server.js";
import { EXHAUSTED_TEXT } from "./turn-plan.js";

// Multi-byte characters make sure argument fragments never split a character.
const writeArgs = { path: "hello.txt", content: "hi ✓ 🎉\n", options: { mode: 420, tags: ["a", "b"] } };

const twoTurns: Scenario = {
  name: "two-turns",
  turns: [
    {
      text: "I will write the file now, then report back.",
      toolCalls: [{ name: "write", arguments: writeArgs }],
      usage: { input: 100, output: 20, cacheRead: 50 },
    },
    { text: "Done: hello.txt now says hi.", usage: { input: 180, output: 9 } },
  ],
};

const tools: ChatCompletionTool[] = [
  { type: "function", function: { name: "write", parameters: { type: "object", properties: {} } } },
  { type: "function", function: { name: "read", parameters: { type: "object", properties: {} } } },
];

const history: ChatCompletionMessageParam[] = [
  { role: "system", content: "You are a test agent." },
  { role: "user", content: "Write hello.txt" },
];

let server: ModelServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function start(scenarios: Scenario | Record<string, Scenario>): Promise<{ srv: ModelServer; client: OpenAI }> {
  server = await startModelServer({ scenarios });
  // maxRetries 0: a wrong answer must fail the test, not be retried into a different one.
  return {
    srv: server,
    client: new OpenAI({ baseURL: server.openaiBaseUrl, apiKey: "sk-test-openai", maxRetries: 0 }),
  };
}

describe("OpenAI chat completions", () => {
  it("streams a tool call turn, then a text turn, parsed by the official SDK", async () => {
    const { srv, client } = await start(twoTurns);
    const stream = client.chat.completions.stream({
      model: "m1",
      messages: history,
      tools,
      stream_options: { include_usage: true },
    });
    const deltas: string[] = [];
    stream.on("content", (delta) => deltas.push(delta));
    const first = await stream.finalChatCompletion();
    const message = first.choices[0]?.message;
    expect(first.choices[0]?.finish_reason).toBe("tool_calls");
    expect(message?.content).toBe("I will write the file now, then report back.");
    expect(deltas.length).toBeGreaterThan(1);
    const call = message?.tool_calls?.[0];
    expect(call?.type === "function" && JSON.parse(call.function.arguments)).toEqual(writeArgs);
    expect(first.usage).toMatchObject({ prompt_tokens: 150, completion_tokens: 20, total_tokens: 170 });
    expect(first.usage?.prompt_tokens_details?.cached_tokens).toBe(50);

    const next: ChatCompletionMessageParam[] = [
      ...history,
      { role: "assistant", content: message?.content ?? null, tool_calls: message?.tool_calls },
      { role: "tool", tool_call_id: call?.id ?? "", content: "wrote 12 bytes to hello.txt" },
    ];
    const second = await client.chat.completions.stream({ model: "m1", messages: next, tools }).finalChatCompletion();
    expect(second.choices[0]?.message.content).toBe("Done: hello.txt now says hi.");
    expect(second.choices[0]?.finish_reason).toBe("stop");

    expect(srv.requests.map((r) => r.turnIndex)).toEqual([0, 1]);
    expect(srv.requests[1]?.messages).toEqual([
      { role: "user", text: "Write hello.txt" },
      {
        role: "assistant",
        text: "I will write the file now, then report back.",
        toolCalls: [{ id: call?.id, name: "write", arguments: writeArgs }],
      },
      { role: "tool", text: "wrote 12 bytes to hello.txt", toolCallId: call?.id },
    ]);
  });

  it("sends the raw stream in the wire shape: role delta, argument fragments, finish chunk, usage chunk, [DONE]", async () => {
    const { client } = await start(twoTurns);
    const chunks = [];
    const stream = await client.chat.completions.create({
      model: "m1",
      messages: history,
      stream: true,
      stream_options: { include_usage: true },
    });
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks[0]?.choices[0]?.delta.role).toBe("assistant");
    const fragments = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    expect(fragments[0]).toMatchObject({
      index: 0,
      id: "call_t0_0",
      type: "function",
      function: { name: "write", arguments: "" },
    });
    expect(fragments.length).toBeGreaterThan(2);
    expect(JSON.parse(fragments.map((f) => f.function?.arguments ?? "").join(""))).toEqual(writeArgs);
    const finish = chunks.filter((c) => c.choices[0]?.finish_reason);
    expect(finish.map((c) => c.choices[0]?.finish_reason)).toEqual(["tool_calls"]);
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage?.prompt_tokens).toBe(150);
  });

  it("answers non-streamed requests with message, tool_calls and usage", async () => {
    const { client } = await start(twoTurns);
    const res = await client.chat.completions.create({ model: "m1", messages: history, tools });
    expect(res.object).toBe("chat.completion");
    expect(res.choices[0]?.finish_reason).toBe("tool_calls");
    const call = res.choices[0]?.message.tool_calls?.[0];
    expect(call?.type === "function" && call.function.name).toBe("write");
    expect(call?.type === "function" && JSON.parse(call.function.arguments)).toEqual(writeArgs);
    expect(res.usage).toMatchObject({ prompt_tokens: 150, completion_tokens: 20, total_tokens: 170 });
  });

  it("estimates usage when the turn names none", async () => {
    const { client } = await start({ name: "plain", turns: [{ text: "x".repeat(40) }] });
    const res = await client.chat.completions.create({
      model: "m",
      messages: [{ role: "user", content: "y".repeat(400) }],
    });
    expect(res.usage?.completion_tokens).toBe(10);
    expect(res.usage?.prompt_tokens).toBe(100);
  });

  it("gives concurrent conversations their own turn index", async () => {
    const turns = [0, 1, 2, 3].map((i) => ({ text: `answer for turn ${i} with some padding`, chunkDelayMs: 5 }));
    const { client } = await start({ name: "counting", turns });
    const conversation = (depth: number): ChatCompletionMessageParam[] => [
      { role: "user", content: "start" },
      ...Array.from({ length: depth }, (_, i): ChatCompletionMessageParam[] => [
        { role: "assistant", content: `answer ${i}` },
        { role: "user", content: "go on" },
      ]).flat(),
    ];
    const depths = [3, 0, 2, 1, 0, 3];
    const answers = await Promise.all(
      depths.map((depth) =>
        client.chat.completions.stream({ model: "m", messages: conversation(depth) }).finalContent(),
      ),
    );
    expect(answers).toEqual(depths.map((d) => `answer for turn ${d} with some padding`));
  });

  it("answers past the last turn with the exhausted text and stop", async () => {
    const { client } = await start(twoTurns);
    const messages: ChatCompletionMessageParam[] = [
      ...history,
      { role: "assistant", content: "one" },
      { role: "user", content: "more" },
      { role: "assistant", content: "two" },
      { role: "user", content: "more" },
    ];
    const res = await client.chat.completions.create({ model: "m1", messages });
    expect(res.choices[0]?.message.content).toBe(EXHAUSTED_TEXT);
    expect(res.choices[0]?.finish_reason).toBe("stop");
  });

  it("records model, system prompt, tools offered, stream flag and the API key", async () => {
    const { srv, client } = await start(twoTurns);
    await client.chat.completions.create({ model: "m1", messages: history, tools, stream: true }).then(async (s) => {
      for await (const _chunk of s) {
        // drain
      }
    });
    const [record] = srv.requests;
    expect(record).toMatchObject({
      api: "openai-chat",
      path: "/v1/chat/completions",
      model: "m1",
      system: "You are a test agent.",
      tools: ["write", "read"],
      stream: true,
      apiKey: "sk-test-openai",
      status: 200,
      turnIndex: 0,
    });
    expect(record?.headers.authorization).toBe("Bearer sk-test-openai");
  });

  it("routes by model id, with '*' as fallback, and lists the models", async () => {
    const fallback: Scenario = { name: "fallback", turns: [{ text: "from fallback" }] };
    const { client } = await start({ alpha: twoTurns, "*": fallback });
    const alpha = await client.chat.completions.create({ model: "alpha", messages: history });
    const other = await client.chat.completions.create({ model: "other", messages: history });
    expect(alpha.choices[0]?.message.tool_calls?.length).toBe(1);
    expect(other.choices[0]?.message.content).toBe("from fallback");
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(["alpha"]);
  });

  it("answers an unknown model with a 404 in OpenAI's error shape", async () => {
    const { client } = await start({ alpha: twoTurns });
    const err = await client.chat.completions.create({ model: "nope", messages: history }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect((err as InstanceType<typeof OpenAI.NotFoundError>).message).toContain("'nope'");
  });
});

describe("standing where Ollama listens", () => {
  it("lists the scripted models at GET /api/tags in Ollama's shape", async () => {
    const { srv } = await start({ writer: twoTurns, "*": twoTurns });
    const response = await fetch(`${srv.url}/api/tags`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { models: { name: string; model: string }[] };
    expect(body.models.map((m) => [m.name, m.model])).toEqual([["writer", "writer"]]);
    expect(srv.requests[0]).toMatchObject({ api: "ollama-tags", method: "GET", path: "/api/tags" });
  });
});
