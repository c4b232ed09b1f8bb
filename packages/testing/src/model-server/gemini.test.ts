import { afterEach, describe, expect, it } from "vitest";
import type { Scenario } from "./scenario.js";
import type { ModelServer } from "./server.js";
import { startModelServer } from "./server.js";

// No Google SDK here: @google/genai now needs Node 22. Pi's google-generative-ai provider (pi.int.test.ts) is the
// real-client check; these tests pin the wire shape.

const scenario: Scenario = {
  name: "gemini-style",
  turns: [
    {
      text: "Reading the file first.",
      toolCalls: [{ name: "read_file", arguments: { absolute_path: "/workspace/README.md" } }],
      usage: { input: 400, output: 30, cacheRead: 100 },
    },
    { text: "The README describes the project." },
  ],
};

interface Chunk {
  candidates: { content: { role: string; parts: Record<string, unknown>[] }; finishReason?: string }[];
  usageMetadata?: Record<string, number>;
}

let server: ModelServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function call(path: string, body: unknown): Promise<Response> {
  return fetch(`${server?.geminiBaseUrl}${path}`, {
    method: "POST",
    body: JSON.stringify(body),
    headers: { "content-type": "application/json", "x-goog-api-key": "gemini-key" },
  });
}

function sseChunks(text: string): Chunk[] {
  return text
    .split("\n\n")
    .filter((frame) => frame.startsWith("data: "))
    .map((frame) => JSON.parse(frame.slice("data: ".length)) as Chunk);
}

const firstRequest = {
  systemInstruction: { parts: [{ text: "You are Gemini CLI." }] },
  contents: [{ role: "user", parts: [{ text: "Summarise the README" }] }],
  tools: [{ functionDeclarations: [{ name: "read_file" }, { name: "run_shell_command" }] }],
};

describe("Gemini generateContent", () => {
  it("streams text pieces, then the function call with finishReason and usage on the last chunk", async () => {
    server = await startModelServer({ scenarios: scenario });
    const res = await call("/v1beta/models/gemini-x:streamGenerateContent?alt=sse", firstRequest);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const chunks = sseChunks(await res.text());
    expect(chunks.length).toBeGreaterThan(2);
    const parts = chunks.flatMap((c) => c.candidates[0]?.content.parts ?? []);
    expect(parts.flatMap((p) => (typeof p.text === "string" ? [p.text] : [])).join("")).toBe("Reading the file first.");
    expect(parts.filter((p) => p.functionCall)).toEqual([
      { functionCall: { name: "read_file", args: { absolute_path: "/workspace/README.md" } } },
    ]);
    const last = chunks.at(-1);
    expect(last?.candidates[0]?.finishReason).toBe("STOP");
    expect(last?.usageMetadata).toEqual({
      promptTokenCount: 500,
      candidatesTokenCount: 30,
      totalTokenCount: 530,
      cachedContentTokenCount: 100,
    });
    expect(server.requests[0]).toMatchObject({
      api: "gemini",
      model: "gemini-x",
      system: "You are Gemini CLI.",
      tools: ["read_file", "run_shell_command"],
      stream: true,
      apiKey: "gemini-key",
      turnIndex: 0,
    });
  });

  it("counts model contents as turns and answers generateContent in one document", async () => {
    server = await startModelServer({ scenarios: scenario });
    const body = {
      ...firstRequest,
      contents: [
        ...firstRequest.contents,
        {
          role: "model",
          parts: [{ functionCall: { name: "read_file", args: { absolute_path: "/workspace/README.md" } } }],
        },
        { role: "user", parts: [{ functionResponse: { name: "read_file", response: { output: "# Project" } } }] },
      ],
    };
    const res = await call("/v1beta/models/gemini-x:generateContent", body);
    const doc = (await res.json()) as Chunk;
    expect(doc.candidates[0]?.content).toEqual({
      role: "model",
      parts: [{ text: "The README describes the project." }],
    });
    expect(doc.candidates[0]?.finishReason).toBe("STOP");
    expect(server.requests[0]?.turnIndex).toBe(1);
    expect(server.requests[0]?.messages.map((m) => m.role)).toEqual(["user", "assistant", "tool"]);
    expect(server.requests[0]?.messages[2]?.text).toBe('{"output":"# Project"}');
  });

  it("answers streamGenerateContent without alt=sse as a JSON array, and countTokens", async () => {
    server = await startModelServer({ scenarios: scenario });
    const array = (await (await call("/v1beta/models/gemini-x:streamGenerateContent", firstRequest)).json()) as Chunk[];
    expect(array.at(-1)?.candidates[0]?.finishReason).toBe("STOP");
    const count = await call("/v1beta/models/gemini-x:countTokens", {
      contents: [{ parts: [{ text: "q".repeat(40) }] }],
    });
    expect(await count.json()).toEqual({ totalTokens: 10 });
  });
});
