import { describe, expect, it } from "vitest";
import { carriesRunToken, upstreamHeaders, upstreamUrl } from "./credentials.js";

describe("upstreamUrl", () => {
  const q = new URLSearchParams("alt=sse&key=pcp_secret");
  it.each([
    ["https://api.openai.com/v1", "/v1/chat/completions", "https://api.openai.com/v1/chat/completions?alt=sse"],
    ["https://api.openai.com/v1/", "/v1/chat/completions", "https://api.openai.com/v1/chat/completions?alt=sse"],
    ["https://api.openai.com", "/v1/chat/completions", "https://api.openai.com/v1/chat/completions?alt=sse"],
    ["https://api.openai.com/v1", "/chat/completions", "https://api.openai.com/v1/chat/completions?alt=sse"],
    [
      "https://generativelanguage.googleapis.com/v1beta",
      "/v1beta/models/gemini-2.5-pro:streamGenerateContent",
      "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse",
    ],
    ["http://127.0.0.1:11434/v1", "/v1/models", "http://127.0.0.1:11434/v1/models?alt=sse"],
    ["https://gw.example.com/openai/v1", "/v1/responses", "https://gw.example.com/openai/v1/responses?alt=sse"],
  ])("%s + %s", (base, rest, expected) => {
    expect(upstreamUrl(base, rest, q).toString()).toBe(expected);
  });

  it("drops the agent's ?key= and keeps an empty query empty", () => {
    expect(upstreamUrl("http://h", "/v1/x", new URLSearchParams("key=t")).toString()).toBe("http://h/v1/x");
  });
});

describe("credentials", () => {
  const url = new URL("http://proxy/openai/v1/chat/completions");
  it("accepts the run token in any of the places SDKs put keys, and nothing else", () => {
    expect(carriesRunToken({ authorization: "Bearer tok" }, url, "tok")).toBe(true);
    expect(carriesRunToken({ "x-api-key": "tok" }, url, "tok")).toBe(true);
    expect(carriesRunToken({ "x-goog-api-key": "tok" }, url, "tok")).toBe(true);
    expect(carriesRunToken({}, new URL("http://proxy/g?key=tok"), "tok")).toBe(true);
    expect(carriesRunToken({}, url, "tok")).toBe(false);
    expect(carriesRunToken({ authorization: "Bearer tok2" }, url, "tok")).toBe(false);
    expect(carriesRunToken({ authorization: "Bearer tok", "x-api-key": "other" }, url, "tok")).toBe(false);
  });

  it("replaces the agent's credentials with the provider's key in the API's header", () => {
    const agent = {
      authorization: "Bearer tok",
      "x-api-key": "tok",
      "anthropic-version": "2023-06-01",
      connection: "keep-alive",
    };
    const anthropic = upstreamHeaders(
      agent,
      { name: "a", api: "anthropic-messages", baseUrl: "", apiKey: "sk-ant" },
      "h",
    );
    expect(anthropic).toEqual({ "x-api-key": "sk-ant", "anthropic-version": "2023-06-01", host: "h" });
    const google = upstreamHeaders(agent, { name: "g", api: "google", baseUrl: "", apiKey: "AIza" }, "h");
    expect(google).toMatchObject({ "x-goog-api-key": "AIza" });
    expect(google.authorization).toBeUndefined();
    const local = upstreamHeaders(agent, { name: "o", api: "openai-completions", baseUrl: "", apiKey: "" }, "h");
    expect(local.authorization).toBeUndefined();
    expect(local["x-api-key"]).toBeUndefined();
  });
});
