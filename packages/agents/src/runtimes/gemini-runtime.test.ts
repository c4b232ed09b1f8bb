import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ModelTarget, ResolvedAgent } from "@pancode/core";
import { describe, expect, it } from "vitest";
import { geminiBaseUrl, geminiRuntime, geminiSettingsJson } from "./gemini-runtime.js";

const model: ModelTarget = {
  ref: "google/gemini-x",
  provider: "google",
  id: "gemini-x",
  api: "google",
  baseUrl: "https://generativelanguage.googleapis.com/v1beta",
  apiKeyEnv: "MY_GOOGLE_KEY",
  price: { input: 1.25, output: 10, cacheRead: 0.3, cacheWrite: 0 },
};

const agent: ResolvedAgent = {
  name: "writer",
  runtime: "gemini",
  image: "pancode/agent:dev",
  readonly: false,
  timeoutMs: 60_000,
  limits: { memoryMb: 1024, cpus: 1, pids: 256 },
  network: "host",
  model: "",
  tools: ["read", "bash", "edit", "write", "grep", "find", "ls"],
  maxTurns: 12,
  prompt: 'Say "done"\nwhen $done.',
  egress: [],
};

describe("geminiRuntime.buildInvocation", () => {
  it("runs gemini headless with JSON events, the model, no trust prompt and YOLO approvals", () => {
    const { argv, env } = geminiRuntime.buildInvocation({ task: "-x fix it", agent, model });
    expect(argv.slice(0, 2)).toEqual(["sh", "-c"]);
    expect(argv.slice(argv.indexOf("gemini"))).toEqual([
      "gemini",
      "--output-format",
      "stream-json",
      "--model",
      "gemini-x",
      "--skip-trust",
      "--approval-mode",
      "yolo",
      "--prompt=-x fix it",
    ]);
    expect(env).toMatchObject({
      PANCODE_API_KEY_ENV: "MY_GOOGLE_KEY",
      GOOGLE_GEMINI_BASE_URL: "https://generativelanguage.googleapis.com",
      PANCODE_AGENT_PROMPT: agent.prompt,
    });
    // The key itself is only exported inside the container, from the variable the worker passes.
    expect(env).not.toHaveProperty("GEMINI_API_KEY");
  });

  it("refuses models whose provider does not speak the Gemini API, and runs without a model", () => {
    const openai = { ...model, ref: "local/qwen", api: "openai-completions" };
    expect(() => geminiRuntime.buildInvocation({ task: "t", agent, model: openai })).toThrow(
      expect.objectContaining({
        code: "INVALID_ARGUMENT",
        message: expect.stringMatching(/gemini.*local\/qwen.*openai-completions/),
      }),
    );
    expect(() => geminiRuntime.buildInvocation({ task: "t", agent, model: null })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT", message: expect.stringContaining("agent writer") }),
    );
  });

  it("writes settings and GEMINI.md into HOME and exports the key from the named variable at start", () => {
    const { argv, env } = geminiRuntime.buildInvocation({ task: "t", agent, model });
    const home = mkdtempSync(join(tmpdir(), "pancode-gemini-"));
    try {
      // The prelude as the container runs it, with a stand-in for gemini that shows what it was given.
      const shown = spawnSync(
        argv[0] as string,
        [...argv.slice(1, 4), "sh", "-c", 'printf "%s|%s" "$GEMINI_API_KEY" "$*"', "gemini", "a b"],
        { env: { PATH: process.env.PATH, HOME: home, ...env, MY_GOOGLE_KEY: "sk-google-secret" }, encoding: "utf8" },
      );
      expect(shown.stderr).toBe("");
      expect(shown.stdout).toBe("sk-google-secret|a b");
      expect(JSON.parse(readFileSync(join(home, ".gemini", "settings.json"), "utf8"))).toEqual(
        JSON.parse(geminiSettingsJson(agent)),
      );
      expect(readFileSync(join(home, ".gemini", "GEMINI.md"), "utf8")).toBe(`${agent.prompt}\n`);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it("gives a provider without a key a placeholder key and an agent without a prompt no GEMINI.md", () => {
    const { argv, env } = geminiRuntime.buildInvocation({
      task: "t",
      agent: { ...agent, prompt: "" },
      model: { ...model, apiKeyEnv: "" },
    });
    expect(env.PANCODE_AGENT_PROMPT).toBeUndefined();
    const home = mkdtempSync(join(tmpdir(), "pancode-gemini-"));
    try {
      const shown = spawnSync(argv[0] as string, [...argv.slice(1, 4), "sh", "-c", 'printf "%s" "$GEMINI_API_KEY"'], {
        env: { PATH: process.env.PATH, HOME: home, ...env },
        encoding: "utf8",
      });
      expect(shown.stdout).toBe("pancode-no-api-key");
      expect(() => readFileSync(join(home, ".gemini", "GEMINI.md"))).toThrow();
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describe("geminiSettingsJson", () => {
  it("selects API-key auth, disables folder trust and telemetry, maps tools and sets the turn limit", () => {
    expect(JSON.parse(geminiSettingsJson({ ...agent, tools: ["read", "grep", "find", "ls"], maxTurns: 3 }))).toEqual({
      general: { enableAutoUpdate: false, enableAutoUpdateNotification: false },
      privacy: { usageStatisticsEnabled: false },
      telemetry: { enabled: false },
      security: { auth: { selectedType: "gemini-api-key" }, folderTrust: { enabled: false } },
      model: { maxSessionTurns: 3 },
      tools: { core: ["read_file", "read_many_files", "grep_search", "glob", "list_directory"] },
    });
  });

  it("leaves Gemini's defaults for no tool list and no turn limit, and refuses unknown tools", () => {
    const settings = JSON.parse(geminiSettingsJson({ ...agent, tools: [], maxTurns: 0 }));
    expect(settings.tools).toBeUndefined();
    expect(settings.model).toBeUndefined();
    expect(() => geminiSettingsJson({ ...agent, tools: ["read", "teleport"] })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT", message: expect.stringContaining('"teleport"') }),
    );
  });
});

describe("geminiBaseUrl", () => {
  it("drops the API version the Google SDK adds itself", () => {
    expect(geminiBaseUrl("https://generativelanguage.googleapis.com/v1beta")).toBe(
      "https://generativelanguage.googleapis.com",
    );
    expect(geminiBaseUrl("http://127.0.0.1:8080/")).toBe("http://127.0.0.1:8080");
    expect(geminiBaseUrl("http://proxy:1/google/v1")).toBe("http://proxy:1/google");
  });
});
