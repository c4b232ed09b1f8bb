import type { ModelTarget } from "@pancode/core";
import { describe, expect, it } from "vitest";
import { networkFor } from "./run-execution.js";
import { MODEL_TOKEN_ENV, proxiedModel, proxyProviderOf } from "./run-model-proxy.js";

const model = (baseUrl: string, apiKeyEnv = "OPENAI_API_KEY"): ModelTarget => ({
  ref: "openai/gpt",
  provider: "openai",
  id: "gpt",
  api: "openai-completions",
  baseUrl,
  apiKeyEnv,
  price: { input: 1, output: 2, cacheRead: 0, cacheWrite: 0 },
});

describe("the network of a run", () => {
  it("keeps an agent without network without it, even with a model on the worker's loopback", () => {
    expect(networkFor("none", "host")).toBe("none");
    expect(networkFor("none", "")).toBe("none");
  });

  it("gives an agent that asks for egress what the agent and the worker say", () => {
    expect(networkFor("bridge", "")).toBe("bridge");
    expect(networkFor("bridge", "host")).toBe("host");
  });
});

describe("the model as the agent CLI sees it", () => {
  it("points at the container's forwarder under the provider's route, keeping the base URL's path", () => {
    const seen = proxiedModel(model("https://api.openai.com/v1/"), 4100);
    expect(seen.baseUrl).toBe("http://127.0.0.1:4100/openai/v1");
    expect(seen.apiKeyEnv).toBe(MODEL_TOKEN_ENV);
    expect(proxiedModel(model("http://127.0.0.1:11434"), 4100).baseUrl).toBe("http://127.0.0.1:4100/openai");
  });

  it("gives the proxy the provider's origin and the real key, and refuses a missing key in one line", () => {
    const provider = proxyProviderOf(model("https://api.openai.com/v1"), { OPENAI_API_KEY: "sk-real" }, "w1");
    expect(provider).toEqual({
      name: "openai",
      api: "openai-completions",
      baseUrl: "https://api.openai.com",
      apiKey: "sk-real",
    });
    expect(proxyProviderOf(model("http://127.0.0.1:11434/v1", ""), {}, "w1").apiKey).toBe("");
    expect(() => proxyProviderOf(model("https://api.openai.com/v1"), {}, "w1")).toThrow(
      'worker w1 has no OPENAI_API_KEY for provider "openai"; set it in the worker\'s environment',
    );
  });
});
