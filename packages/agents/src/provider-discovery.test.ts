import {
  builtinCatalogue,
  discoveredCluster,
  LOCAL_ENGINES,
  localProvider,
  preferredModel,
  providersFromEnv,
  resolveModel,
  withLocalEngines,
} from "@pancode/agents";
import { describe, expect, it } from "vitest";

const catalogue = builtinCatalogue();
const ollama = LOCAL_ENGINES[0] as (typeof LOCAL_ENGINES)[number];
const local = localProvider(ollama, "http://127.0.0.1:11434", ["qwen2.5-coder:7b", "llama3.2"]);

describe("providers from a worker's environment", () => {
  it("offers a catalogue provider for each key, at its *_BASE_URL, keeping the key out of the offer", () => {
    const found = providersFromEnv(
      {
        ANTHROPIC_API_KEY: "sk-ant",
        ANTHROPIC_BASE_URL: "http://127.0.0.1:4000/",
        GOOGLE_API_KEY: "g-key",
        OPENAI_BASE_URL: "http://127.0.0.1:5000/v1",
      },
      catalogue,
    );
    expect(found.providers.map((p) => [p.name, p.apiKeyEnv, p.baseUrl])).toEqual([
      ["anthropic", "ANTHROPIC_API_KEY", "http://127.0.0.1:4000"],
      ["google", "GOOGLE_API_KEY", undefined],
    ]);
    expect(found.secrets).toEqual({ ANTHROPIC_API_KEY: "sk-ant", GOOGLE_API_KEY: "g-key" });
    expect(JSON.stringify(found.providers)).not.toContain("sk-ant");
    expect(found.problems).toEqual([]);
  });

  it("prefers GEMINI_API_KEY over GOOGLE_API_KEY", () => {
    const found = providersFromEnv({ GEMINI_API_KEY: "a", GOOGLE_API_KEY: "b" }, catalogue);
    expect(found.providers[0]?.apiKeyEnv).toBe("GEMINI_API_KEY");
    expect(found.secrets).toEqual({ GEMINI_API_KEY: "a" });
  });

  it("says how to declare a provider whose key it sees but has no models for, and refuses a bad base URL", () => {
    const found = providersFromEnv({ MISTRAL_API_KEY: "m", OPENAI_API_KEY: "o", OPENAI_BASE_URL: "api.x" }, catalogue);
    expect(found.providers).toEqual([]);
    expect(found.problems).toEqual([
      { provider: "openai", message: 'OPENAI_BASE_URL="api.x" is not an http:// or https:// URL; fix it or unset it' },
      {
        provider: "mistral",
        message: expect.stringMatching(
          /^MISTRAL_API_KEY is set but the built-in catalogue has no models for provider "mistral"; declare its models in a cluster config file \(PANCODE_CONFIG: .*apiKeyEnv: MISTRAL_API_KEY/,
        ),
      },
    ]);
  });

  it("adds local engines that answered and the problems of those that did not", () => {
    const found = withLocalEngines(providersFromEnv({}, catalogue), [
      { engine: ollama, provider: local },
      { engine: ollama, problem: "p" },
      { engine: ollama, absent: true },
    ]);
    expect(found.providers).toEqual([local]);
    expect(found.problems).toEqual([{ provider: "ollama", message: "p" }]);
  });
});

describe("the default model", () => {
  const env = (vars: Record<string, string>) => providersFromEnv(vars, catalogue).providers;

  it("prefers anthropic, then openai, then google, then local engines (their first model)", () => {
    const all = env({ ANTHROPIC_API_KEY: "a", OPENAI_API_KEY: "o", GEMINI_API_KEY: "g" });
    expect(preferredModel([local, ...all].reverse(), catalogue)).toBe("anthropic/claude-sonnet-4-5");
    expect(preferredModel([local, ...env({ GEMINI_API_KEY: "g", OPENAI_API_KEY: "o" })], catalogue)).toBe(
      "openai/gpt-5",
    );
    expect(preferredModel([local, ...env({ GEMINI_API_KEY: "g" })], catalogue)).toBe("google/gemini-2.5-pro");
    expect(preferredModel([local], catalogue)).toBe("ollama/qwen2.5-coder:7b");
    expect(preferredModel([], catalogue)).toBe("");
  });
});

describe("the cluster's models from its workers' offers", () => {
  const none = { providers: [], defaultModel: "", aliases: {} };
  const other = localProvider(ollama, "http://127.0.0.1:11434", ["llama3.2", "phi4"]);

  it("merges the models of a provider offered by several workers and picks the preferred default", () => {
    const config = discoveredCluster(
      none,
      [
        { workerId: "w1", providers: [local], problems: [] },
        { workerId: "w2", providers: [other], problems: [] },
      ],
      catalogue,
    );
    expect(config.providers[0]?.models.map((m) => m.id)).toEqual(["qwen2.5-coder:7b", "llama3.2", "phi4"]);
    expect(resolveModel(config, "")).toMatchObject({
      ref: "ollama/qwen2.5-coder:7b",
      baseUrl: "http://127.0.0.1:11434/v1",
      apiKeyEnv: "",
      price: { input: 0, output: 0 },
    });
  });

  it("keeps the config file's default and aliases when they name an offered model", () => {
    const file = { providers: [], defaultModel: "small", aliases: { small: "ollama/phi4" } };
    const config = discoveredCluster(file, [{ workerId: "w2", providers: [other], problems: [] }], catalogue);
    expect(resolveModel(config, "").ref).toBe("ollama/phi4");
    const gone = discoveredCluster(file, [{ workerId: "w1", providers: [local], problems: [] }], catalogue);
    expect(resolveModel(gone, "").ref).toBe("ollama/qwen2.5-coder:7b");
  });
});
