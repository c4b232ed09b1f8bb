import { describe, expect, it } from "vitest";
import type { ProxyApi } from "./types.js";
import { priceTokens } from "./usage-extract.js";
import { UsageMeter } from "./usage-meter.js";

/** Feeds `body` split at `at` (every split point is tried by the callers), so chunk boundaries never matter. */
function meter(api: ProxyApi, sse: boolean, body: string, at: number[]): UsageMeter {
  const bytes = Buffer.from(body);
  const m = new UsageMeter(api, sse);
  let from = 0;
  for (const cut of [...at, bytes.length]) {
    m.write(bytes.subarray(from, cut));
    from = cut;
  }
  m.end();
  return m;
}

function everySplit(api: ProxyApi, sse: boolean, body: string): UsageMeter[] {
  const length = Buffer.byteLength(body);
  return Array.from({ length: length + 1 }, (_, i) => meter(api, sse, body, [i]));
}

describe("UsageMeter", () => {
  it("reads OpenAI chat usage from the last SSE chunk wherever the bytes are split (CRLF, multibyte text)", () => {
    const body =
      'data: {"choices":[{"delta":{"content":"héllo ✓"}}],"usage":null}\r\n\r\n' +
      'data: {"choices":[],"usage":{"prompt_tokens":140,"completion_tokens":20,"prompt_tokens_details":{"cached_tokens":40,"cache_write_tokens":10}}}\r\n\r\n' +
      "data: [DONE]\r\n\r\n";
    for (const m of everySplit("openai-completions", true, body)) {
      expect(m.counts).toEqual({ input: 100, output: 20, cacheRead: 30, cacheWrite: 10 });
      expect(m.sawUsage).toBe(true);
    }
  });

  it("reads Anthropic usage from message_start and the cumulative message_delta", () => {
    const body = [
      "event: message_start",
      'data: {"type":"message_start","message":{"usage":{"input_tokens":100,"cache_creation_input_tokens":10,"cache_read_input_tokens":30,"output_tokens":1}}}',
      "",
      "event: message_delta",
      'data: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":20}}',
      "",
      "",
    ].join("\n");
    for (const m of everySplit("anthropic-messages", true, body)) {
      expect(m.counts).toEqual({ input: 100, output: 20, cacheRead: 30, cacheWrite: 10 });
    }
  });

  it("reads Responses usage from response.completed", () => {
    const body =
      'event: response.created\ndata: {"type":"response.created","response":{"usage":null}}\n\n' +
      'event: response.completed\ndata: {"type":"response.completed","response":{"usage":{"input_tokens":50,"input_tokens_details":{"cached_tokens":20},"output_tokens":7}}}\n\n';
    expect(meter("openai-responses", true, body, [13, 90]).counts).toEqual({
      input: 30,
      output: 7,
      cacheRead: 20,
      cacheWrite: 0,
    });
  });

  it("reads Gemini usage from a non-SSE streamed JSON array and counts thinking as output", () => {
    const body = JSON.stringify([
      { candidates: [] },
      {
        candidates: [],
        usageMetadata: {
          promptTokenCount: 60,
          candidatesTokenCount: 5,
          thoughtsTokenCount: 3,
          cachedContentTokenCount: 10,
        },
      },
    ]);
    expect(meter("google", false, body, [7]).counts).toEqual({ input: 50, output: 8, cacheRead: 10, cacheWrite: 0 });
  });

  it("meters nothing from a body that is not JSON, and never throws", () => {
    const m = meter("openai-completions", false, "<html>bad gateway</html>", [3]);
    expect(m.sawUsage).toBe(false);
    expect(m.counts).toEqual({ input: 0, output: 0, cacheRead: 0, cacheWrite: 0 });
  });

  it("ignores negative or non-numeric counts a hostile upstream might send", () => {
    const m = meter("anthropic-messages", false, '{"usage":{"input_tokens":-5,"output_tokens":"9"}}', []);
    expect(m.counts).toEqual({ input: 0, output: 0, cacheRead: 0, cacheWrite: 0 });
  });
});

describe("priceTokens", () => {
  it("prices each kind of token per million, and no price as $0", () => {
    const counts = { input: 1_000_000, output: 2_000_000, cacheRead: 1_000_000, cacheWrite: 1_000_000 };
    expect(priceTokens(counts, { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 })).toBeCloseTo(37.05, 10);
    expect(priceTokens(counts, { input: 3, output: 15 })).toBe(33);
    expect(priceTokens(counts, undefined)).toBe(0);
  });
});
