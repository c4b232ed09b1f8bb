import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  costOf,
  DEFAULT_CLUSTER_CONFIG,
  loadClusterConfig,
  modelRefs,
  parseClusterConfig,
  resolveModel,
} from "@pancode/agents";
import { describe, expect, it } from "vitest";

const PATH = "/etc/pancode/cluster.yaml";

const CONFIG = `
providers:
  - name: local
    api: openai-completions
    baseUrl: http://127.0.0.1:8080/v1
    apiKeyEnv: LOCAL_API_KEY
    models:
      - id: qwen-coder
        price: { input: 0.5, output: 1.5, cacheRead: 0.05, cacheWrite: 0.6 }
      - id: meta/llama-3
  - name: anthropic
    api: anthropic-messages
    apiKeyEnv: ANTHROPIC_API_KEY
    models:
      - id: claude-sonnet
        price: { input: 3, output: 15 }
defaultModel: fast
aliases: { fast: local/qwen-coder, smart: anthropic/claude-sonnet }
agentsDir: agents
`;

describe("cluster config", () => {
  const config = parseClusterConfig(CONFIG, PATH);

  it("parses providers, prices (cache prices default to 0), aliases and the agents dir", () => {
    expect(modelRefs(config)).toEqual(["local/qwen-coder", "local/meta/llama-3", "anthropic/claude-sonnet"]);
    expect(config.providers[1]?.models[0]?.price).toEqual({ input: 3, output: 15, cacheRead: 0, cacheWrite: 0 });
    expect(config.providers[0]?.models[1]?.price).toEqual({ input: 0, output: 0, cacheRead: 0, cacheWrite: 0 });
    expect(config.aliases).toEqual({ fast: "local/qwen-coder", smart: "anthropic/claude-sonnet" });
    // Relative to the config file, so the same file works wherever it is mounted.
    expect(config.agentsDir).toBe("/etc/pancode/agents");
  });

  it("resolves provider/id, aliases and the default model", () => {
    const local = {
      ref: "local/qwen-coder",
      provider: "local",
      id: "qwen-coder",
      api: "openai-completions",
      baseUrl: "http://127.0.0.1:8080/v1",
      apiKeyEnv: "LOCAL_API_KEY",
      price: { input: 0.5, output: 1.5, cacheRead: 0.05, cacheWrite: 0.6 },
    };
    expect(resolveModel(config, "local/qwen-coder")).toEqual(local);
    expect(resolveModel(config, "fast")).toEqual(local);
    expect(resolveModel(config, "")).toEqual(local);
    expect(resolveModel(config, "smart")).toMatchObject({
      ref: "anthropic/claude-sonnet",
      api: "anthropic-messages",
      baseUrl: "https://api.anthropic.com",
      apiKeyEnv: "ANTHROPIC_API_KEY",
    });
    expect(resolveModel(config, "local/meta/llama-3")).toMatchObject({ provider: "local", id: "meta/llama-3" });
  });

  it("names the known models and aliases for an unknown model", () => {
    for (const name of ["local/gpt-9", "gpt-9", "nowhere/qwen-coder"]) {
      expect(() => resolveModel(config, name)).toThrow(
        `unknown model "${name}"; known models: local/qwen-coder, local/meta/llama-3, anthropic/claude-sonnet; aliases: fast, smart`,
      );
    }
  });

  it("says where a provider can come from when there is none (nothing discovered, nothing declared)", () => {
    expect(() => resolveModel(DEFAULT_CLUSTER_CONFIG, "")).toThrow(
      /^no model provider is available: set ANTHROPIC_API_KEY, OPENAI_API_KEY or GEMINI_API_KEY on a worker, run a local engine .*or declare providers in a cluster config file \(PANCODE_CONFIG\)$/,
    );
    expect(() => resolveModel(DEFAULT_CLUSTER_CONFIG, "fast")).toThrow(
      /no model provider is available \(asked for "fast"\)/,
    );
  });

  it("lets a file without providers name a default and aliases for the models workers discover", () => {
    const config = parseClusterConfig("defaultModel: small\naliases: { small: ollama/phi4 }", PATH);
    expect(config).toMatchObject({ providers: [], defaultModel: "small", aliases: { small: "ollama/phi4" } });
  });

  it("asks for a model when none is named and there is no default", () => {
    const noDefault = parseClusterConfig(CONFIG.replace("defaultModel: fast", ""), PATH);
    expect(() => resolveModel(noDefault, "")).toThrow(/no model named and the cluster config sets no defaultModel/);
  });

  it.each([
    [
      "providers: [{ name: x, api: grpc, models: [{ id: m }] }]",
      'field "providers[0].api": expected one of openai-completions, anthropic-messages, google, openai-responses, got "grpc"',
    ],
    ["providers: [{ name: x, api: google, models: [] }]", 'field "providers[0].models": expected at least 1 item(s)'],
    [
      "providers: [{ name: x, api: google, baseUrl: ftp://h, models: [{ id: m }] }]",
      'field "providers[0].baseUrl": expected an http:// or https:// URL, got "ftp://h"',
    ],
    [
      "providers: [{ name: x, api: google, apiKeyEnv: my-key, models: [{ id: m }] }]",
      'field "providers[0].apiKeyEnv": expected an environment variable name',
    ],
    [
      "providers: [{ name: x, api: google, models: [{ id: m, price: { input: -1, output: 1 } }] }]",
      'field "providers[0].models[0].price.input": expected a number >= 0, got -1',
    ],
    [
      "providers: [{ name: x, api: google, models: [{ id: m, price: { in: 1 } }] }]",
      'field "providers[0].models[0].price.in": unknown field',
    ],
    [
      "providers: [{ name: x, api: google, models: [{ id: m }] }, { name: x, api: google, models: [{ id: n }] }]",
      'field "providers[1].name": provider "x" is declared twice',
    ],
    [
      "providers: [{ name: x, api: google, models: [{ id: m }] }]\naliases: { fast: x/n }",
      'field "aliases.fast": "x/n" is not a model; known models: x/m',
    ],
    [
      "providers: [{ name: x, api: google, models: [{ id: m }] }]\ndefaultModel: x/n",
      'field "defaultModel": "x/n" is neither a model nor an alias; known models: x/m',
    ],
    ["provider: []", 'field "provider": unknown field; known fields: providers, defaultModel, aliases, agentsDir'],
    ["providers: [a: b", "not valid YAML: "],
  ])("refuses %j naming the file and the field", (text, expected) => {
    let message = "";
    try {
      parseClusterConfig(text, PATH);
    } catch (err) {
      message = (err as Error).message;
      expect(err).toMatchObject({ code: "CONFIG_INVALID" });
    }
    expect(message).toContain(`invalid cluster config ${PATH}`);
    expect(message).toContain(expected);
  });

  it("loads a file, uses the built-in default when PANCODE_CONFIG is unset, and names a missing file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "pancode-config-"));
    try {
      const path = join(dir, "cluster.yaml");
      await writeFile(path, CONFIG);
      expect((await loadClusterConfig(path)).agentsDir).toBe(join(dir, "agents"));
      expect(await loadClusterConfig(undefined)).toEqual(DEFAULT_CLUSTER_CONFIG);
      expect(await loadClusterConfig("")).toEqual(DEFAULT_CLUSTER_CONFIG);
      await expect(loadClusterConfig(join(dir, "nope.yaml"))).rejects.toMatchObject({
        code: "CONFIG_INVALID",
        message: expect.stringMatching(/^cannot read the cluster config .*nope\.yaml: ENOENT/),
      });
      await writeFile(path, "");
      expect(await loadClusterConfig(path)).toEqual({ providers: [], defaultModel: "", aliases: {} });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("costOf", () => {
  it("prices tokens per million, cache reads and writes included", () => {
    const price = { input: 0.5, output: 1.5, cacheRead: 0.05, cacheWrite: 0.6 };
    expect(costOf(price, { input: 1_000_000, output: 0 })).toBeCloseTo(0.5, 12);
    expect(costOf(price, { input: 2000, output: 1000, cacheRead: 10_000, cacheWrite: 500 })).toBeCloseTo(
      (2000 * 0.5 + 1000 * 1.5 + 10_000 * 0.05 + 500 * 0.6) / 1e6,
      12,
    );
    expect(costOf({ input: 0, output: 0, cacheRead: 0, cacheWrite: 0 }, { input: 5, output: 5 })).toBe(0);
  });
});
