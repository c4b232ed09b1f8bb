import { gzipSync } from "node:zlib";
import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import type { Scenario } from "./scenario.js";
import type { ModelServer } from "./server.js";
import { startModelServer } from "./server.js";

const hello: Scenario = { name: "hello", turns: [{ text: "hello there" }] };

let server: ModelServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function post(path: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${server?.url}${path}`, {
    method: "POST",
    body,
    headers: { "content-type": "application/json", ...headers },
  });
}

describe("model server transport", () => {
  it("listens on 127.0.0.1 and refuses non-loopback hosts", async () => {
    server = await startModelServer({ scenarios: hello });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.openaiBaseUrl).toBe(`${server.url}/v1`);
    expect(server.anthropicBaseUrl).toBe(server.url);
    await expect(startModelServer({ scenarios: hello, host: "0.0.0.0" })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
    });
  });

  it("rejects an invalid scenario at start with the field named", async () => {
    const bad = { name: "bad", turns: [{ toolCalls: [{ name: 3, arguments: {} }] }] } as unknown as Scenario;
    await expect(startModelServer({ scenarios: { m: bad } })).rejects.toThrow(
      /for model "m".*turns\.0\.toolCalls\.0\.name/,
    );
  });

  it("answers unknown routes with 404 in the provider's shape and records them", async () => {
    server = await startModelServer({ scenarios: hello });
    const openai = await post("/v1/completions", "{}");
    expect(openai.status).toBe(404);
    expect(await openai.json()).toMatchObject({ error: { type: "invalid_request_error", code: "not_found" } });
    const anthropic = await post("/v1/messages/batches", "{}");
    expect(await anthropic.json()).toMatchObject({ type: "error", error: { type: "not_found_error" } });
    const gemini = await post("/v1beta/models/g:embedContent", "{}");
    expect(gemini.status).toBe(404);
    expect(await gemini.json()).toMatchObject({ error: { code: 404, status: "NOT_FOUND" } });
    expect(server.requests.map((r) => [r.api, r.path, r.status])).toEqual([
      ["unknown", "/v1/completions", 404],
      ["unknown", "/v1/messages/batches", 404],
      ["gemini", "/v1beta/models/g:embedContent", 404],
    ]);
  });

  it("answers malformed JSON with 400 in the provider's shape and keeps serving", async () => {
    server = await startModelServer({ scenarios: hello });
    const openai = await post("/v1/chat/completions", "{not json");
    expect(openai.status).toBe(400);
    expect(await openai.json()).toMatchObject({ error: { type: "invalid_request_error" } });
    const anthropic = await post("/v1/messages", "[1,2", { "x-api-key": "sk-ant-raw" });
    expect(anthropic.status).toBe(400);
    expect(await anthropic.json()).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
    expect(server.requests[1]?.apiKey).toBe("sk-ant-raw");
    const missing = await post("/v1/messages", JSON.stringify({ model: "m" }));
    expect(missing.status).toBe(400);
    const ok = await post(
      "/v1/chat/completions",
      JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] }),
    );
    expect(((await ok.json()) as { choices: { message: { content: string } }[] }).choices[0]?.message.content).toBe(
      "hello there",
    );
  });

  it("accepts gzip-compressed request bodies", async () => {
    server = await startModelServer({ scenarios: hello });
    const body = gzipSync(JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] }));
    const res = await fetch(`${server.url}/v1/chat/completions`, {
      method: "POST",
      body,
      headers: { "content-type": "application/json", "content-encoding": "gzip" },
    });
    expect(res.status).toBe(200);
    expect(server.requests[0]?.messages).toEqual([{ role: "user", text: "hi" }]);
  });

  it("waits delayMs before answering, so client timeouts fire", async () => {
    server = await startModelServer({ scenarios: { name: "slow", turns: [{ text: "late", delayMs: 400 }] } });
    const impatient = new OpenAI({ baseURL: server.openaiBaseUrl, apiKey: "k", maxRetries: 0, timeout: 100 });
    const started = Date.now();
    await expect(
      impatient.chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }] }),
    ).rejects.toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    const patient = new OpenAI({ baseURL: server.openaiBaseUrl, apiKey: "k", maxRetries: 0 });
    const res = await patient.chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }] });
    expect(res.choices[0]?.message.content).toBe("late");
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
  });

  it("paces streamed chunks by chunkDelayMs", async () => {
    const text = "one two three four five six seven eight nine ten eleven twelve";
    server = await startModelServer({ scenarios: { name: "paced", turns: [{ text, chunkDelayMs: 30 }] } });
    const client = new OpenAI({ baseURL: server.openaiBaseUrl, apiKey: "k", maxRetries: 0 });
    const arrivals: number[] = [];
    const stream = await client.chat.completions.create({
      model: "m",
      stream: true,
      messages: [{ role: "user", content: "hi" }],
    });
    for await (const _chunk of stream) arrivals.push(Date.now());
    expect(arrivals.length).toBeGreaterThanOrEqual(5);
    expect((arrivals.at(-1) ?? 0) - (arrivals[0] ?? 0)).toBeGreaterThanOrEqual(30 * (arrivals.length - 2));
  });

  it("keeps serving when a client leaves mid-stream", async () => {
    const text = "word ".repeat(40);
    server = await startModelServer({ scenarios: { name: "long", turns: [{ text, chunkDelayMs: 20 }] } });
    const client = new OpenAI({ baseURL: server.openaiBaseUrl, apiKey: "k", maxRetries: 0 });
    const messages = [{ role: "user" as const, content: "hi" }];
    const stream = await client.chat.completions.create({ model: "m", stream: true, messages });
    let seen = 0;
    for await (const _chunk of stream) {
      seen += 1;
      if (seen === 3) break; // breaking out aborts the request
    }
    const res = await client.chat.completions.create({ model: "m", messages });
    expect(res.choices[0]?.message.content).toBe(text);
  });

  it("stops promptly while a delayed answer is pending", async () => {
    server = await startModelServer({ scenarios: { name: "stuck", turns: [{ text: "never", delayMs: 60_000 }] } });
    const pending = post("/v1/chat/completions", JSON.stringify({ model: "m", messages: [] })).catch(
      (err: unknown) => err,
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    // stop() resolving at all proves it did not wait out the 60 s delay (the test's own timeout is 20 s).
    await server.stop();
    expect(await pending).toBeInstanceOf(Error);
  });
});
