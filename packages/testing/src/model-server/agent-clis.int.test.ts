import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { findCli, jsonLines, runCli } from "./run-cli.js";
import type { Scenario, ScenarioTurn } from "./scenario.js";
import type { ModelServer } from "./server.js";
import { startModelServer } from "./server.js";

// Claude Code, Codex, Gemini CLI and OpenCode, unmodified, against the scripted server: each writes hello.txt with
// its own write tool in one turn and finishes in the next. Each runs when its binary is on PATH or named by
// PANCODE_TEST_<CLI>_BIN, and is skipped otherwise (the CLIs live in the agent image, not on the host). The
// configuration each needs to reach a custom base URL is spelled out below for the runtime adapters.

const KEY = "sk-scripted-secret-key";
const MODEL = "scripted-coder";
// Background calls (titles, routing) use other model ids; they get a plain answer instead of the task's turns.
const background: Scenario = { name: "background", turns: [{ text: "Scripted title" }] };

let server: ModelServer | undefined;
let dir: string | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

interface Setup {
  home: string;
  cwd: string;
  srv: ModelServer;
}

/** Starts a server whose first turn calls `tool` with `args`, and makes a home and a work dir. */
async function setUp(tool: string, args: (cwd: string) => Record<string, unknown>): Promise<Setup> {
  dir = await mkdtemp(join(tmpdir(), "pancode-cli-"));
  const home = join(dir, "home");
  const cwd = join(dir, "work");
  await mkdir(home, { recursive: true });
  await mkdir(cwd, { recursive: true });
  const turns: ScenarioTurn[] = [
    {
      text: "Writing hello.txt.",
      toolCalls: [{ name: tool, arguments: args(cwd) }],
      usage: { input: 3000, output: 40, cacheRead: 1000 },
    },
    { text: "Created hello.txt.", usage: { input: 3100, output: 5 } },
  ];
  server = await startModelServer({ scenarios: { [MODEL]: { name: "write-hello", turns }, "*": background } });
  return { home, cwd, srv: server };
}

/** The task's own requests (not background ones): one per turn, each with the key. */
function expectTaskRequests(srv: ModelServer): void {
  const task = srv.requests.filter((r) => r.model === MODEL && r.tools.length > 0);
  expect(task.map((r) => [r.turnIndex, r.status, r.apiKey])).toEqual([
    [0, 200, KEY],
    [1, 200, KEY],
  ]);
}

const claude = findCli("PANCODE_TEST_CLAUDE_BIN", "claude");
describe.skipIf(!claude)("Claude Code (anthropic messages)", () => {
  it("writes hello.txt with Write and reports the scripted usage", async () => {
    const { home, cwd, srv } = await setUp("Write", (cwd) => ({
      file_path: join(cwd, "hello.txt"),
      content: "hello\n",
    }));
    const env = {
      PATH: process.env.PATH ?? "",
      HOME: home,
      ANTHROPIC_BASE_URL: srv.anthropicBaseUrl,
      ANTHROPIC_API_KEY: KEY,
      DISABLE_AUTOUPDATER: "1",
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    };
    // "--" ends --allowedTools' variadic list; otherwise the prompt is read as a tool name.
    const args = [
      "-p",
      "--output-format",
      "stream-json",
      "--verbose",
      "--model",
      MODEL,
      "--allowedTools",
      "Write",
      "--",
    ];
    const { code, stdout, stderr } = await runCli({
      bin: claude ?? "claude",
      args: [...args, "Create hello.txt"],
      cwd,
      env,
    });
    expect(code, stderr).toBe(0);
    expect(await readFile(join(cwd, "hello.txt"), "utf8")).toBe("hello\n");
    const result = jsonLines(stdout).find((e) => e.type === "result") as { usage?: Record<string, number> } | undefined;
    expect(result?.usage).toMatchObject({ input_tokens: 6100, cache_read_input_tokens: 1000, output_tokens: 45 });
    expect(stdout).not.toContain(KEY);
    expectTaskRequests(srv);
  });
});

const codex = findCli("PANCODE_TEST_CODEX_BIN", "codex");
describe.skipIf(!codex)("Codex CLI (openai responses)", () => {
  it("writes hello.txt with exec_command and reports the scripted usage", async () => {
    const { home, cwd, srv } = await setUp("exec_command", () => ({ cmd: "printf 'hello\\n' > hello.txt" }));
    const config = [
      `model = "${MODEL}"`,
      `model_provider = "scripted"`,
      "[model_providers.scripted]",
      `name = "scripted"`,
      `base_url = "${srv.openaiBaseUrl}"`,
      `env_key = "SCRIPTED_API_KEY"`,
      `wire_api = "responses"`,
    ];
    await writeFile(join(home, "config.toml"), `${config.join("\n")}\n`);
    const env = { PATH: process.env.PATH ?? "", HOME: home, CODEX_HOME: home, SCRIPTED_API_KEY: KEY };
    const args = [
      "exec",
      "--json",
      "--skip-git-repo-check",
      "--dangerously-bypass-approvals-and-sandbox",
      "Create hello.txt",
    ];
    const { code, stdout, stderr } = await runCli({ bin: codex ?? "codex", args, cwd, env });
    expect(code, stderr).toBe(0);
    expect(srv.requests[0]?.tools).toContain("exec_command");
    expect(await readFile(join(cwd, "hello.txt"), "utf8")).toBe("hello\n");
    const done = jsonLines(stdout).find((e) => e.type === "turn.completed") as
      | { usage?: Record<string, number> }
      | undefined;
    expect(done?.usage).toMatchObject({ input_tokens: 7100, cached_input_tokens: 1000, output_tokens: 45 });
    expect(stdout).not.toContain(KEY);
    expectTaskRequests(srv);
  });
});

const gemini = findCli("PANCODE_TEST_GEMINI_BIN", "gemini");
describe.skipIf(!gemini)("Gemini CLI (gemini streamGenerateContent)", () => {
  it("writes hello.txt with write_file and reports the scripted usage", async () => {
    const { home, cwd, srv } = await setUp("write_file", () => ({ file_path: "hello.txt", content: "hello\n" }));
    // GOOGLE_GEMINI_BASE_URL alone selects the "gateway" auth type, which headless mode rejects; pin the API-key
    // type. Folder trust off, or --yolo is downgraded to asking (and nobody answers).
    const settings = { security: { auth: { selectedType: "gemini-api-key" }, folderTrust: { enabled: false } } };
    await mkdir(join(home, ".gemini"), { recursive: true });
    await writeFile(join(home, ".gemini", "settings.json"), JSON.stringify(settings));
    const env = {
      PATH: process.env.PATH ?? "",
      HOME: home,
      GEMINI_API_KEY: KEY,
      GOOGLE_GEMINI_BASE_URL: srv.geminiBaseUrl,
    };
    const args = ["-p", "Create hello.txt", "--output-format", "stream-json", "--yolo", "-m", MODEL];
    const { code, stdout, stderr } = await runCli({ bin: gemini ?? "gemini", args, cwd, env });
    expect(code, stderr).toBe(0);
    expect(await readFile(join(cwd, "hello.txt"), "utf8")).toBe("hello\n");
    const result = jsonLines(stdout).find((e) => e.type === "result") as { stats?: Record<string, number> } | undefined;
    expect(result?.stats).toMatchObject({ input_tokens: 7100, cached: 1000, output_tokens: 45 });
    expect(stdout).not.toContain(KEY);
    expectTaskRequests(srv);
  });
});

const opencode = findCli("PANCODE_TEST_OPENCODE_BIN", "opencode");
describe.skipIf(!opencode)("OpenCode (openai chat completions)", () => {
  it("writes hello.txt with write and reports the scripted usage", async () => {
    const { home, cwd, srv } = await setUp("write", () => ({ filePath: "hello.txt", content: "hello\n" }));
    const provider = {
      npm: "@ai-sdk/openai-compatible",
      name: "Scripted",
      options: { baseURL: srv.openaiBaseUrl, apiKey: KEY },
      models: { [MODEL]: { name: MODEL }, "scripted-small": { name: "small" } },
    };
    const config = {
      provider: { scripted: provider },
      model: `scripted/${MODEL}`,
      // Title generation goes to the small model, served by the background scenario.
      small_model: "scripted/scripted-small",
      permission: { edit: "allow", bash: "allow" },
      autoupdate: false,
      share: "disabled",
    };
    await writeFile(join(cwd, "opencode.json"), JSON.stringify(config));
    const env = { PATH: process.env.PATH ?? "", HOME: home, OPENCODE_DISABLE_AUTOUPDATE: "1" };
    const args = ["run", "--format", "json", "-m", `scripted/${MODEL}`, "Create hello.txt"];
    const { code, stdout, stderr } = await runCli({ bin: opencode ?? "opencode", args, cwd, env });
    expect(code, stderr).toBe(0);
    expect(await readFile(join(cwd, "hello.txt"), "utf8")).toBe("hello\n");
    const steps = jsonLines(stdout).filter((e) => e.type === "step_finish") as { part?: { tokens?: unknown } }[];
    expect(steps.map((s) => s.part?.tokens)).toEqual([
      expect.objectContaining({ input: 3000, output: 40, cache: { read: 1000, write: 0 } }),
      expect.objectContaining({ input: 3100, output: 5 }),
    ]);
    expect(stdout).not.toContain(KEY);
    expectTaskRequests(srv);
  });
});
