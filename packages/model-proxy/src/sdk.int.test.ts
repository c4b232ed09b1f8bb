import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import { type ModelServer, startModelServer } from "@pancode/testing/model-server";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MeteredCall, newProxyToken, type RunProxy, startRunProxy } from "./index.js";
import { forwardTcpToSocket } from "./test-support/tcp-forwarder.js";

/** The real SDKs, unmodified, through the proxy: they must parse its answers and its refusals as the provider's. */
const REAL_KEY = "sk-real";
const USAGE = { input: 1000, output: 100 };
const PRICE = { input: 3, output: 15 };
const CALL_COST = (USAGE.input * PRICE.input + USAGE.output * PRICE.output) / 1e6;

let server: ModelServer;
let proxy: RunProxy;
let forwarder: { origin: string; close(): void };
let dir: string;
const token = newProxyToken();
const metered: MeteredCall[] = [];
const capReached: number[] = [];

beforeAll(async () => {
  server = await startModelServer({
    scenarios: { name: "sdk", turns: [{ text: "hello through the proxy", usage: USAGE }] },
  });
  dir = await mkdtemp(join(tmpdir(), "model-proxy-sdk-"));
  proxy = await startRunProxy({
    socketPath: join(dir, "proxy.sock"),
    runToken: token,
    providers: [
      { name: "openai", api: "openai-completions", baseUrl: server.openaiBaseUrl, apiKey: REAL_KEY },
      { name: "anthropic", api: "anthropic-messages", baseUrl: server.anthropicBaseUrl, apiKey: REAL_KEY },
    ],
    priceOf: () => PRICE,
    // Three calls fit under the cap; the fourth is refused.
    capUsd: CALL_COST * 2.5,
    onCall: (call) => metered.push(call),
    onCapReached: (spent) => capReached.push(spent),
  });
  forwarder = await forwardTcpToSocket(proxy.socketPath);
});
afterAll(async () => {
  forwarder.close();
  await proxy.close();
  await server.stop();
  await rm(dir, { recursive: true, force: true });
});

describe("real SDKs through the proxy", () => {
  const openai = () => new OpenAI({ baseURL: `${forwarder.origin}/openai/v1`, apiKey: token });
  const anthropic = () => new Anthropic({ baseURL: `${forwarder.origin}/anthropic`, apiKey: token });

  it("a wrong key is an authentication error in each SDK", async () => {
    const bad = new OpenAI({ baseURL: `${forwarder.origin}/openai/v1`, apiKey: REAL_KEY });
    await expect(bad.chat.completions.create({ model: "scripted", messages: [] })).rejects.toBeInstanceOf(
      OpenAI.AuthenticationError,
    );
    const badAnthropic = new Anthropic({ baseURL: `${forwarder.origin}/anthropic`, apiKey: "nope" });
    await expect(
      badAnthropic.messages.create({ model: "scripted", max_tokens: 10, messages: [{ role: "user", content: "hi" }] }),
    ).rejects.toBeInstanceOf(Anthropic.AuthenticationError);
  });

  it("streams and meters, then refuses past the cap with each SDK's rate-limit error", async () => {
    const stream = await openai().chat.completions.create({
      model: "scripted",
      messages: [{ role: "user", content: "hi" }],
      stream: true,
    });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
    expect(text).toBe("hello through the proxy");

    const message = await anthropic()
      .messages.stream({ model: "scripted", max_tokens: 64, messages: [{ role: "user", content: "hi" }] })
      .finalMessage();
    expect(message.content).toEqual([expect.objectContaining({ type: "text", text: "hello through the proxy" })]);

    const answer = await openai().responses.create({ model: "scripted", input: "hi" });
    expect(answer.output_text).toBe("hello through the proxy");
    expect(metered.map((c) => [c.api, c.inputTokens, c.outputTokens])).toEqual([
      ["openai-completions", 1000, 100],
      ["anthropic-messages", 1000, 100],
      ["openai-responses", 1000, 100],
    ]);

    const refusedOpenAi = openai().chat.completions.create({
      model: "scripted",
      messages: [{ role: "user", content: "hi" }],
    });
    await expect(refusedOpenAi).rejects.toBeInstanceOf(OpenAI.RateLimitError);
    await expect(refusedOpenAi).rejects.toMatchObject({ code: "insufficient_quota" });
    const refusedAnthropic = anthropic().messages.create({
      model: "scripted",
      max_tokens: 10,
      messages: [{ role: "user", content: "hi" }],
    });
    await expect(refusedAnthropic).rejects.toBeInstanceOf(Anthropic.RateLimitError);
    expect(capReached).toHaveLength(1);
    expect(proxy.usage().calls).toBe(3);
    expect(proxy.usage().costUsd).toBeCloseTo(CALL_COST * 3, 12);
    // Every generation request the scripted server saw carried the real key.
    expect(server.requests.filter((r) => r.method === "POST").every((r) => r.apiKey === REAL_KEY)).toBe(true);
  });
});
