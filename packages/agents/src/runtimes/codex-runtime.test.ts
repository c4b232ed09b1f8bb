import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ModelTarget, ResolvedAgent } from "@pancode/core";
import { describe, expect, it } from "vitest";
import { codexConfigToml, codexRuntime, tomlString } from "./codex-runtime.js";

const model: ModelTarget = {
  ref: "openai/gpt-x",
  provider: "openai",
  id: "gpt-x",
  api: "openai-responses",
  baseUrl: "http://127.0.0.1:8080/v1",
  apiKeyEnv: "MY_OPENAI_KEY",
  price: { input: 1.25, output: 10, cacheRead: 0.125, cacheWrite: 0 },
};

const agent: ResolvedAgent = {
  name: "coder",
  runtime: "codex",
  image: "pancode/agent:dev",
  readonly: false,
  timeoutMs: 60_000,
  limits: { memoryMb: 1024, cpus: 1, pids: 256 },
  network: "host",
  model: "",
  tools: [],
  maxTurns: 0,
  prompt: 'Say "done"\nwhen done.',
  egress: [],
};

describe("codexRuntime.buildInvocation", () => {
  it("runs codex exec with JSON events, outside its own sandbox, with the task after --", () => {
    const { argv, env } = codexRuntime.buildInvocation({ task: "-x fix it", agent, model });
    expect(argv.slice(argv.indexOf("codex"))).toEqual([
      "codex",
      "exec",
      "--json",
      "--skip-git-repo-check",
      "--ephemeral",
      "--dangerously-bypass-approvals-and-sandbox",
      "--",
      "-x fix it",
    ]);
    expect(Object.keys(env)).toEqual(["PANCODE_CODEX_CONFIG"]);
  });

  it("writes config.toml into CODEX_HOME under HOME at start, naming the key's variable, never its value", () => {
    const { argv, env } = codexRuntime.buildInvocation({ task: "t", agent, model });
    const home = mkdtempSync(join(tmpdir(), "pancode-codex-home-"));
    try {
      const prelude = argv.slice(0, argv.indexOf("codex"));
      const probe = ["sh", "-c", 'printf "%s" "$CODEX_HOME"'];
      const out = spawnSync(prelude[0] ?? "sh", [...prelude.slice(1), ...probe], {
        env: { PATH: process.env.PATH, HOME: home, ...env, MY_OPENAI_KEY: "sk-secret-value" },
        encoding: "utf8",
      });
      expect(out.stdout).toBe(join(home, ".codex"));
      const written = readFileSync(join(home, ".codex", "config.toml"), "utf8");
      expect(written).toBe(codexConfigToml(agent, model));
      expect(written).toContain('env_key = "MY_OPENAI_KEY"');
      expect(written).not.toContain("sk-secret-value");
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it("refuses a model that does not speak the Responses API, and a missing model", () => {
    const chat = { ...model, api: "openai-completions", ref: "local/qwen" };
    expect(() => codexRuntime.buildInvocation({ task: "t", agent, model: chat })).toThrow(
      expect.objectContaining({
        code: "INVALID_ARGUMENT",
        message: expect.stringMatching(/codex.*local\/qwen.*openai-completions/),
      }),
    );
    expect(() => codexRuntime.buildInvocation({ task: "t", agent, model: null })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
  });
});

describe("codexConfigToml", () => {
  it("declares the provider for the responses API with bounded retries and quiet switches", () => {
    const toml = codexConfigToml(agent, model);
    for (const line of [
      'model = "gpt-x"',
      'model_provider = "pancode"',
      "[model_providers.pancode]",
      'name = "openai"',
      'base_url = "http://127.0.0.1:8080/v1"',
      'wire_api = "responses"',
      "check_for_update_on_startup = false",
      "unbounded_connection_retries = false",
      'developer_instructions = "Say \\"done\\"\\nwhen done."',
    ]) {
      expect(toml.split("\n")).toContain(line);
    }
  });

  it("tells a read-only agent so, and sends no key variable when the provider needs none", () => {
    const toml = codexConfigToml({ ...agent, readonly: true, prompt: "" }, { ...model, apiKeyEnv: "" });
    expect(toml).toMatch(/developer_instructions = ".*read-only/);
    expect(toml).not.toContain("env_key");
  });
});

describe("tomlString", () => {
  it("escapes what TOML basic strings forbid", () => {
    expect(tomlString('a"b\\c\n\t')).toBe('"a\\"b\\\\c\\n\\t"');
    expect(tomlString("del\u007f")).toBe('"del\\u007f"');
    expect(tomlString("lone\uD800")).toBe('"lone\uFFFD"');
  });
});
