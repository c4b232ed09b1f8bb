import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type Attributes,
  INVALID_SPAN_CONTEXT,
  type Span,
  type SpanStatus,
  type Tracer,
  type TracerProvider,
  trace,
} from "@opentelemetry/api";
import { startModelServer } from "@pancode/testing/model-server";
import { afterAll, expect, it } from "vitest";
import { newProxyToken, startRunProxy } from "./index.js";
import { send } from "./test-support/http-client.js";

/** The smallest TracerProvider that keeps what spans were given (the OTel SDK is the telemetry package's). */
interface Recorded {
  name: string;
  attributes: Attributes;
  status?: SpanStatus;
  ended: boolean;
}
const recorded: Recorded[] = [];

function recordingSpan(record: Recorded): Span {
  const span: Span = {
    spanContext: () => INVALID_SPAN_CONTEXT,
    setAttribute: (key, value) => {
      if (value !== undefined) record.attributes[key] = value;
      return span;
    },
    setAttributes: (attributes) => {
      Object.assign(record.attributes, attributes);
      return span;
    },
    addEvent: () => span,
    addLink: () => span,
    addLinks: () => span,
    setStatus: (status) => {
      record.status = status;
      return span;
    },
    updateName: () => span,
    end: () => {
      record.ended = true;
    },
    isRecording: () => true,
    recordException: () => {},
  };
  return span;
}

const tracer = {
  startSpan: (name: string, options?: { attributes?: Attributes }) => {
    const record: Recorded = { name, attributes: { ...options?.attributes }, ended: false };
    recorded.push(record);
    return recordingSpan(record);
  },
} as unknown as Tracer;
const provider: TracerProvider = { getTracer: () => tracer };
trace.setGlobalTracerProvider(provider);
afterAll(() => trace.disable());

it("each model call is one span with the GenAI semantic convention attributes", async () => {
  const server = await startModelServer({
    scenarios: { name: "s", turns: [{ text: "hi", usage: { input: 40, output: 8, cacheRead: 2 } }] },
  });
  const dir = await mkdtemp(join(tmpdir(), "model-proxy-span-"));
  const token = newProxyToken();
  const proxy = await startRunProxy({
    socketPath: join(dir, "p.sock"),
    runToken: token,
    providers: [{ name: "claude", api: "anthropic-messages", baseUrl: server.url, apiKey: "k" }],
    priceOf: () => undefined,
  });
  try {
    const body = JSON.stringify({
      model: "scripted",
      max_tokens: 8,
      messages: [{ role: "user", content: "x" }],
      stream: true,
    });
    const answer = await send(proxy, "POST", "/claude/v1/messages", { "x-api-key": token }, body);
    expect(answer.status).toBe(200);
    expect(recorded).toEqual([
      {
        name: "chat scripted",
        ended: true,
        attributes: expect.objectContaining({
          "gen_ai.operation.name": "chat",
          "gen_ai.system": "anthropic",
          "gen_ai.request.model": "scripted",
          "gen_ai.usage.input_tokens": 42,
          "gen_ai.usage.output_tokens": 8,
          "gen_ai.usage.cache_read.input_tokens": 2,
          "pancode.model_proxy.provider": "claude",
        }),
      },
    ]);
    expect(proxy.calls()[0]).toMatchObject({ inputTokens: 40, cacheReadTokens: 2, costUsd: 0 });
  } finally {
    await proxy.close();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
