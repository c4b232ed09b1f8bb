import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ModelTarget, ResolvedAgent } from "@pancode/core";
import { describe, expect, it } from "vitest";
import { openCodeConfigJson, openCodePermissions, openCodeRuntime } from "./opencode-runtime.js";

const model: ModelTarget = {
  ref: "local/qwen-coder",
  provider: "local",
  id: "qwen-coder",
  api: "openai-completions",
  baseUrl: "http://127.0.0.1:8080/v1",
  apiKeyEnv: "LOCAL_API_KEY",
  price: { input: 0.5, output: 1.5, cacheRead: 0.05, cacheWrite: 0 },
};

const agent: ResolvedAgent = {
  name: "writer",
  runtime: "opencode",
  image: "pancode/agent:dev",
  readonly: false,
  timeoutMs: 60_000,
  limits: { memoryMb: 1024, cpus: 1, pids: 256 },
  network: "host",
  model: "",
  tools: ["read", "bash", "edit", "write", "grep", "find", "ls"],
  maxTurns: 8,
  prompt: 'Say "done"\nwhen $done.',
  egress: [],
};

type Config = {
  model: string;
  small_model: string;
  enabled_providers: string[];
  instructions?: string[];
  provider: Record<string, { npm: string; options: { baseURL: string; apiKey: string }; models: object }>;
  agent: Record<string, { steps?: number; permission: Record<string, string> }>;
};

const config = (a: ResolvedAgent, m: ModelTarget) => JSON.parse(openCodeConfigJson(a, m)) as Config;

describe("openCodeRuntime.buildInvocation", () => {
  it("runs opencode with JSON events, its own provider and agent, and a title (no title model call)", () => {
    const { argv, env } = openCodeRuntime.buildInvocation({ task: "-x fix it", agent, model });
    expect(argv.slice(0, 2)).toEqual(["sh", "-c"]);
    expect(argv.slice(argv.indexOf("opencode"))).toEqual([
      "opencode",
      "run",
      "--format",
      "json",
      "--model",
      "pancode/qwen-coder",
      "--agent",
      "pancode",
      "--title",
      "pancode writer",
    ]);
    // The task goes in on stdin: as an argument OpenCode would wrap it in quotes.
    expect(argv.join(" ")).not.toContain("fix it");
    expect(env).toMatchObject({ PANCODE_TASK: "-x fix it", PANCODE_AGENT_PROMPT: agent.prompt });
    expect(env.OPENCODE_CONFIG_CONTENT).toBe(openCodeConfigJson(agent, model));
    expect(env).toMatchObject({ OPENCODE_DISABLE_AUTOUPDATE: "1", OPENCODE_DISABLE_MODELS_FETCH: "1" });
  });

  it("writes the prompt where the config's instructions point and feeds the task on stdin", () => {
    const { argv, env } = openCodeRuntime.buildInvocation({ task: 'Fix "it"\nnow', agent, model });
    const home = mkdtempSync(join(tmpdir(), "pancode-opencode-"));
    try {
      // The prelude as the container runs it, with a stand-in for opencode that echoes its stdin and arguments.
      const shown = spawnSync(
        argv[0] as string,
        [...argv.slice(1, 4), "sh", "-c", 'cat; printf "|%s" "$*"', "x", "a b"],
        {
          env: { PATH: process.env.PATH, HOME: home, ...env },
          encoding: "utf8",
        },
      );
      expect(shown.stderr).toBe("");
      expect(shown.stdout).toBe('Fix "it"\nnow|a b');
      const instructions = config(agent, model).instructions ?? [];
      expect(instructions).toEqual(["{env:HOME}/.config/pancode/opencode-instructions.md"]);
      const file = (instructions[0] ?? "").replace("{env:HOME}", home);
      expect(readFileSync(file, "utf8")).toBe(`${agent.prompt}\n`);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it("runs without a model never, and refuses a wire API OpenCode is not set up for", () => {
    expect(() => openCodeRuntime.buildInvocation({ task: "t", agent, model: null })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT", message: expect.stringContaining("agent writer") }),
    );
    const odd = { ...model, ref: "x/y", api: "bedrock-converse" };
    expect(() => openCodeRuntime.buildInvocation({ task: "t", agent, model: odd })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT", message: expect.stringMatching(/opencode.*x\/y.*bedrock/) }),
    );
  });
});

describe("openCodeConfigJson", () => {
  it("declares the one model with the cluster's prices and names the key's variable, never its value", () => {
    const c = config(agent, model);
    expect(c).toMatchObject({
      model: "pancode/qwen-coder",
      small_model: "pancode/qwen-coder",
      enabled_providers: ["pancode"],
      autoupdate: false,
      share: "disabled",
      snapshot: false,
    });
    expect(c.provider.pancode).toEqual({
      npm: "@ai-sdk/openai-compatible",
      name: "local",
      options: { baseURL: "http://127.0.0.1:8080/v1", apiKey: "{env:LOCAL_API_KEY}" },
      models: {
        "qwen-coder": { name: "qwen-coder", cost: { input: 0.5, output: 1.5, cache_read: 0.05, cache_write: 0 } },
      },
    });
    expect(c.agent.pancode?.steps).toBe(8);
  });

  it("maps each wire API to its bundled AI SDK package and the base URL that package expects", () => {
    const provider = (m: Partial<ModelTarget>) => config(agent, { ...model, ...m }).provider.pancode;
    expect(provider({ api: "anthropic-messages", baseUrl: "https://api.anthropic.com" })).toMatchObject({
      npm: "@ai-sdk/anthropic",
      options: { baseURL: "https://api.anthropic.com/v1" },
    });
    expect(provider({ api: "google", baseUrl: "https://generativelanguage.googleapis.com/v1beta" })).toMatchObject({
      npm: "@ai-sdk/google",
      options: { baseURL: "https://generativelanguage.googleapis.com/v1beta" },
    });
    expect(provider({ api: "openai-responses" })).toMatchObject({ npm: "@ai-sdk/openai" });
    expect(provider({ apiKeyEnv: "" })?.options.apiKey).toBe("pancode-no-api-key");
  });

  it("has no instructions or step limit when the agent has no prompt or turn limit", () => {
    const c = config({ ...agent, prompt: "", maxTurns: 0 }, model);
    expect(c.instructions).toBeUndefined();
    expect(c.agent.pancode?.steps).toBeUndefined();
  });
});

describe("openCodePermissions", () => {
  it("allows exactly the listed tools, in OpenCode's names", () => {
    expect(openCodePermissions({ ...agent, tools: ["read", "grep", "find", "ls"] })).toEqual({
      "*": "deny",
      read: "allow",
      grep: "allow",
      glob: "allow",
      list: "allow",
    });
    expect(openCodePermissions({ ...agent, tools: ["write"] })).toEqual({ "*": "deny", edit: "allow" });
  });

  it("keeps OpenCode's defaults without a list, denies edits to read-only agents, refuses unknown tools", () => {
    expect(openCodePermissions({ ...agent, tools: [] })).toEqual({});
    expect(openCodePermissions({ ...agent, tools: ["read", "bash"], readonly: true })).toEqual({
      "*": "deny",
      read: "allow",
      bash: "allow",
      edit: "deny",
    });
    expect(() => openCodePermissions({ ...agent, tools: ["teleport"] })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT", message: expect.stringContaining('"teleport"') }),
    );
  });
});
