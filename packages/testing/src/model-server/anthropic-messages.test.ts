import Anthropic from "@anthropic-ai/sdk";
import type { MessageParam, Tool } from "@anthropic-ai/sdk/resources/messages";
import { afterEach, describe, expect, it } from "vitest";
import type { Scenario } from "./scenario.js";
import type { ModelServer } from "./server.js";
import { startModelServer } from "./server.js";
import { EXHAUSTED_TEXT } from "./turn-plan.js";

const editArgs = { path: "src/a.ts", edits: [{ oldText: "foo", newText: "bär 🎉" }] };

const scenario: Scenario = {
  name: "edit-then-done",
  turns: [
    {
      text: "Editing src/a.ts.",
      toolCalls: [
        { name: "edit", arguments: editArgs },
        { name: "bash", arguments: { command: "npm test" }, id: "toolu_scripted_1" },
      ],
      usage: { input: 300, output: 45, cacheRead: 1200, cacheWrite: 80 },
    },
    { text: "All edits applied and the tests pass.", usage: { input: 20, output: 10 } },
  ],
};

const tools: Tool[] = [
  { name: "edit", input_schema: { type: "object" } },
  { name: "bash", input_schema: { type: "object" } },
];

const history: MessageParam[] = [{ role: "user", content: "Rename foo" }];

let server: ModelServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function start(scenarios: Scenario | Record<string, Scenario>): Promise<{ srv: ModelServer; client: Anthropic }> {
  server = await startModelServer({ scenarios });
  return {
    srv: server,
    client: new Anthropic({ baseURL: server.anthropicBaseUrl, apiKey: "sk-ant-test", maxRetries: 0 }),
  };
}

describe("Anthropic messages", () => {
  it("streams tool_use blocks, then a text turn, parsed by the official SDK", async () => {
    const { srv, client } = await start(scenario);
    const stream = client.messages.stream({
      model: "claude-x",
      max_tokens: 1000,
      system: "Be terse.",
      messages: history,
      tools,
    });
    const events: string[] = [];
    stream.on("streamEvent", (event) => events.push(event.type));
    const first = await stream.finalMessage();
    expect(first.stop_reason).toBe("tool_use");
    expect(first.content.map((block) => block.type)).toEqual(["text", "tool_use", "tool_use"]);
    const [text, edit, bash] = first.content;
    expect(text?.type === "text" && text.text).toBe("Editing src/a.ts.");
    expect(edit?.type === "tool_use" && edit.input).toEqual(editArgs);
    expect(bash?.type === "tool_use" && [bash.id, bash.input]).toEqual(["toolu_scripted_1", { command: "npm test" }]);
    expect(first.usage).toMatchObject({
      input_tokens: 300,
      output_tokens: 45,
      cache_read_input_tokens: 1200,
      cache_creation_input_tokens: 80,
    });
    expect(events[0]).toBe("message_start");
    expect(events.at(-1)).toBe("message_stop");
    expect(events.filter((e) => e === "content_block_delta").length).toBeGreaterThan(4);

    const toolIds = first.content.flatMap((block) => (block.type === "tool_use" ? [block.id] : []));
    const next: MessageParam[] = [
      ...history,
      { role: "assistant", content: first.content },
      {
        role: "user",
        content: toolIds.map((id) => ({ type: "tool_result" as const, tool_use_id: id, content: `ok ${id}` })),
      },
    ];
    const second = await client.messages
      .stream({ model: "claude-x", max_tokens: 1000, messages: next, tools })
      .finalMessage();
    expect(second.stop_reason).toBe("end_turn");
    expect(second.content).toEqual([{ type: "text", text: "All edits applied and the tests pass." }]);

    expect(srv.requests[0]).toMatchObject({
      api: "anthropic-messages",
      model: "claude-x",
      system: "Be terse.",
      tools: ["edit", "bash"],
      stream: true,
      apiKey: "sk-ant-test",
      turnIndex: 0,
    });
    // SDK 1.x sends the key as a bearer token; older SDKs and Claude Code send x-api-key. Both end up in apiKey.
    expect(srv.requests[0]?.headers.authorization ?? srv.requests[0]?.headers["x-api-key"]).toContain("sk-ant-test");
    expect(srv.requests[1]?.turnIndex).toBe(1);
    expect(srv.requests[1]?.messages.map((m) => [m.role, m.text])).toEqual([
      ["user", "Rename foo"],
      ["assistant", "Editing src/a.ts."],
      ["tool", `ok ${toolIds[0]}`],
      ["tool", `ok ${toolIds[1]}`],
    ]);
  });

  it("answers non-streamed requests, also on the beta route Claude Code uses", async () => {
    const { srv, client } = await start(scenario);
    const res = await client.messages.create({ model: "claude-x", max_tokens: 100, messages: history, tools });
    expect(res.stop_reason).toBe("tool_use");
    expect(res.content[1]?.type === "tool_use" && res.content[1].input).toEqual(editArgs);
    const beta = await client.beta.messages.create({ model: "claude-x", max_tokens: 100, messages: history });
    expect(beta.content[0]?.type === "text" && beta.content[0].text).toBe("Editing src/a.ts.");
    expect(srv.requests[1]?.api).toBe("anthropic-messages");
  });

  it("answers past the last turn with the exhausted text and end_turn", async () => {
    const { client } = await start(scenario);
    const messages: MessageParam[] = [
      ...history,
      { role: "assistant", content: "one" },
      { role: "user", content: "more" },
      { role: "assistant", content: "two" },
      { role: "user", content: "more" },
    ];
    const res = await client.messages.stream({ model: "claude-x", max_tokens: 100, messages }).finalMessage();
    expect(res.content).toEqual([{ type: "text", text: EXHAUSTED_TEXT }]);
    expect(res.stop_reason).toBe("end_turn");
  });

  it("counts tokens and lists models in Anthropic's shapes", async () => {
    const { srv, client } = await start({ "claude-x": scenario });
    const count = await client.messages.countTokens({
      model: "claude-x",
      messages: [{ role: "user", content: "z".repeat(400) }],
    });
    expect(count.input_tokens).toBe(100);
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(["claude-x"]);
    expect(srv.requests.map((r) => r.api)).toEqual(["anthropic-count-tokens", "anthropic-models"]);
  });

  it("answers an unknown model with a not_found_error", async () => {
    const { client } = await start({ "claude-x": scenario });
    const err = await client.messages
      .create({ model: "nope", max_tokens: 10, messages: history })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.NotFoundError);
    expect((err as InstanceType<typeof Anthropic.NotFoundError>).error).toMatchObject({
      type: "error",
      error: { type: "not_found_error" },
    });
  });
});
