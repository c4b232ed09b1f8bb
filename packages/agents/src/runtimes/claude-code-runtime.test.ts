import { spawnSync } from "node:child_process";
import type { ModelTarget, ResolvedAgent } from "@pancode/core";
import { describe, expect, it } from "vitest";
import { claudeCodeRuntime, claudeTools } from "./claude-code-runtime.js";

const model: ModelTarget = {
  ref: "anthropic/claude-x",
  provider: "anthropic",
  id: "claude-x",
  api: "anthropic-messages",
  baseUrl: "http://127.0.0.1:8080",
  apiKeyEnv: "MY_ANTHROPIC_KEY",
  price: { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
};

const agent: ResolvedAgent = {
  name: "writer",
  runtime: "claude-code",
  image: "pancode/agent:dev",
  readonly: false,
  timeoutMs: 60_000,
  limits: { memoryMb: 1024, cpus: 1, pids: 256 },
  network: "host",
  model: "",
  tools: ["read", "bash", "edit", "write", "grep", "find", "ls"],
  maxTurns: 7,
  prompt: "You write files.",
  egress: [],
};

/** The value of `flag` in argv (the element after it). */
const flagValue = (argv: string[], flag: string) => argv[argv.indexOf(flag) + 1];

describe("claudeCodeRuntime.buildInvocation", () => {
  it("runs claude headless with mapped tools, turn limit, appended prompt and the task after --", () => {
    const { argv, env } = claudeCodeRuntime.buildInvocation({ task: "--not-a-flag task", agent, model });
    const claude = argv.slice(argv.indexOf("claude"));
    expect(claude.slice(0, 6)).toEqual([
      "claude",
      "-p",
      "--output-format",
      "stream-json",
      "--verbose",
      "--include-partial-messages",
    ]);
    expect(flagValue(claude, "--model")).toBe("claude-x");
    expect(flagValue(claude, "--tools")).toBe("Read,Bash,Edit,Write,Grep,Glob");
    expect(flagValue(claude, "--allowedTools")).toBe("Read,Bash,Edit,Write,Grep,Glob");
    expect(flagValue(claude, "--permission-mode")).toBe("bypassPermissions");
    expect(flagValue(claude, "--max-turns")).toBe("7");
    expect(flagValue(claude, "--append-system-prompt")).toBe("You write files.");
    expect(claude.slice(-2)).toEqual(["--", "--not-a-flag task"]);
    expect(env).toMatchObject({ ANTHROPIC_BASE_URL: "http://127.0.0.1:8080", PANCODE_KEY_ENV: "MY_ANTHROPIC_KEY" });
    expect(Object.keys(env)).not.toContain("ANTHROPIC_API_KEY");
  });

  it("leaves out what the agent does not set", () => {
    const { argv } = claudeCodeRuntime.buildInvocation({
      task: "t",
      agent: { ...agent, maxTurns: 0, prompt: "" },
      model,
    });
    expect(argv).not.toContain("--max-turns");
    expect(argv).not.toContain("--append-system-prompt");
  });

  it("refuses a model that does not speak the Anthropic messages API, and a missing model", () => {
    const openai = { ...model, api: "openai-completions", ref: "local/qwen" };
    expect(() => claudeCodeRuntime.buildInvocation({ task: "t", agent, model: openai })).toThrow(
      expect.objectContaining({
        code: "INVALID_ARGUMENT",
        message: expect.stringMatching(/claude-code.*local\/qwen.*openai-completions/),
      }),
    );
    expect(() => claudeCodeRuntime.buildInvocation({ task: "t", agent, model: null })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
  });

  it("copies the key from the provider's variable into ANTHROPIC_API_KEY inside the container, at start", () => {
    const { argv, env } = claudeCodeRuntime.buildInvocation({ task: "t", agent, model });
    // Run the real prelude with sh, the way the container does, with a stand-in for claude.
    const prelude = argv.slice(0, argv.indexOf("claude"));
    const probe = ["sh", "-c", 'printf "%s|" "$ANTHROPIC_API_KEY"; printenv PANCODE_KEY_ENV || printf unset'];
    const out = spawnSync(prelude[0] ?? "sh", [...prelude.slice(1), ...probe], {
      env: { PATH: process.env.PATH, ...env, MY_ANTHROPIC_KEY: "sk-secret-value" },
      encoding: "utf8",
    });
    expect(out.stdout).toBe("sk-secret-value|unset");
    expect(JSON.stringify({ argv, env })).not.toContain("sk-secret-value");
  });
});

describe("claudeTools", () => {
  it("maps Pi's vocabulary and keeps write tools from read-only agents", () => {
    expect(claudeTools({ name: "r", readonly: true, tools: ["read", "grep", "find", "ls"] })).toEqual([
      "Read",
      "Grep",
      "Glob",
    ]);
    expect(claudeTools({ name: "r", readonly: true, tools: ["read", "write", "edit", "bash"] })).toEqual([
      "Read",
      "Bash",
    ]);
  });

  it("defaults to the coding set (never Claude's own, which adds web and sub-agent tools)", () => {
    expect(claudeTools({ name: "w", readonly: false, tools: [] })).toEqual([
      "Read",
      "Bash",
      "Edit",
      "Write",
      "Grep",
      "Glob",
    ]);
    expect(claudeTools({ name: "r", readonly: true, tools: [] })).toEqual(["Read", "Grep", "Glob"]);
  });

  it("refuses a tool it cannot map, naming it", () => {
    expect(() => claudeTools({ name: "w", readonly: false, tools: ["teleport"] })).toThrow(/teleport/);
  });
});
