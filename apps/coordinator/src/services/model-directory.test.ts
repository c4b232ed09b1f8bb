import { LOCAL_ENGINES, localProvider, type WorkerOffer } from "@pancode/agents";
import { noopLogger } from "@pancode/telemetry";
import { describe, expect, it } from "vitest";
import { ModelDirectory, type ModelWorkers, offerFromWire } from "./model-directory.js";

const ollama = LOCAL_ENGINES[0] as (typeof LOCAL_ENGINES)[number];
const NO_FILE = { providers: [], defaultModel: "", aliases: {} };

/** Workers as the directory sees them: fixed offers (what registrations would have left). */
function workersOffering(offers: WorkerOffer[]): ModelWorkers {
  return {
    offers: () => offers,
    servesModel: (id, provider, modelId) =>
      offers.some(
        (o) =>
          o.workerId === id && o.providers.some((p) => p.name === provider && p.models.some((m) => m.id === modelId)),
      ),
  };
}

describe("the cluster's models without a config file", () => {
  const engine = localProvider(ollama, "http://127.0.0.1:11434", ["qwen-coder"]);
  const down = {
    provider: "lmstudio",
    message: "LM Studio at http://127.0.0.1:1234 (LMSTUDIO_BASE_URL) is unreachable",
  };
  const models = new ModelDirectory({
    file: NO_FILE,
    workers: workersOffering([{ workerId: "w1", providers: [engine], problems: [down] }]),
  });

  it("resolves the default from what workers offer", () => {
    expect(models.discovering).toBe(true);
    expect(models.resolve("")).toMatchObject({ ref: "ollama/qwen-coder", apiKeyEnv: "" });
  });

  it("refuses a model nobody serves naming the served ones, and one of a broken provider with its problem", () => {
    expect(() => models.resolve("openai/gpt-5")).toThrow(
      'no worker serves model "openai/gpt-5"; served models: ollama/qwen-coder (see `pancode models`)',
    );
    expect(() => models.resolve("lmstudio/x")).toThrow(`no worker serves model "lmstudio/x": ${down.message}`);
  });

  it("lists models with their workers and the default", () => {
    const live = [{ id: "w1" }, { id: "w2" }] as unknown as Parameters<ModelDirectory["list"]>[0];
    expect(models.list(live, () => false)).toEqual({
      models: [
        {
          ref: "ollama/qwen-coder",
          provider: "ollama",
          id: "qwen-coder",
          api: "openai-completions",
          priceInput: 0,
          priceOutput: 0,
          workers: ["w1"],
          isDefault: true,
        },
      ],
      defaultModel: "ollama/qwen-coder",
      source: "discovered",
      problems: [down.message],
    });
  });

  it("says where models come from when no worker offers any, with the workers' problems", () => {
    const empty = new ModelDirectory({
      file: NO_FILE,
      workers: workersOffering([{ workerId: "w1", providers: [], problems: [down] }]),
    });
    expect(() => empty.resolve("")).toThrow(
      /^no model provider is available: set ANTHROPIC_API_KEY.*; workers report: LM Studio at http:\/\/127\.0\.0\.1:1234/,
    );
  });
});

describe("the cluster's models with a config file that declares providers", () => {
  it("uses the file only: nothing the workers discover counts", () => {
    const file = {
      providers: [
        {
          name: "corp",
          api: "openai-completions" as const,
          apiKeyEnv: "CORP_KEY",
          models: [{ id: "m", price: { input: 1, output: 2, cacheRead: 0, cacheWrite: 0 } }],
        },
      ],
      defaultModel: "corp/m",
      aliases: {},
    };
    const engine = localProvider(ollama, "http://127.0.0.1:11434", ["qwen-coder"]);
    const models = new ModelDirectory({
      file,
      workers: workersOffering([{ workerId: "w1", providers: [engine], problems: [] }]),
    });
    expect(models.discovering).toBe(false);
    expect(models.resolve("").ref).toBe("corp/m");
    expect(() => models.resolve("ollama/qwen-coder")).toThrow(
      /unknown model "ollama\/qwen-coder"; known models: corp\/m/,
    );
  });
});

describe("offers off the wire", () => {
  it("keeps valid providers and problems, and drops a provider that does not validate", () => {
    const offer = offerFromWire(
      "w1",
      [
        {
          name: "ollama",
          api: "openai-completions",
          baseUrl: "http://127.0.0.1:11434/v1",
          apiKeyEnv: "",
          models: [{ id: "q", priceInput: 0, priceOutput: 0, priceCacheRead: 0, priceCacheWrite: 0 }],
          problem: "",
        },
        {
          name: "evil",
          api: "grpc",
          baseUrl: "",
          apiKeyEnv: "",
          models: [{ id: "q", priceInput: 0, priceOutput: 0, priceCacheRead: 0, priceCacheWrite: 0 }],
          problem: "",
        },
        { name: "lmstudio", api: "", baseUrl: "", apiKeyEnv: "", models: [], problem: "down" },
      ],
      noopLogger,
    );
    expect(offer.providers.map((p) => p.name)).toEqual(["ollama"]);
    expect(offer.problems).toEqual([{ provider: "lmstudio", message: "down" }]);
  });
});
