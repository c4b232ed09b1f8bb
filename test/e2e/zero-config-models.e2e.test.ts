import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT, runCli, stopProcess } from "@pancode/testing/cluster";
import { ensureTestImages } from "@pancode/testing/docker";
import { createRepo } from "@pancode/testing/git";
import { loadScenario, type ModelServer, startModelServer } from "@pancode/testing/model-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// A newcomer's cluster: `pancode up` with NO config file. The models come from what the worker has: a local engine
// on its loopback (the scripted server standing where Ollama listens, found through OLLAMA_HOST) or an API key
// (ANTHROPIC_API_KEY + ANTHROPIC_BASE_URL at the scripted Anthropic API). Only the model's brain is scripted: Pi,
// the container, the coordinator's admission and the merge-back are the real ones.

const CLI = join(REPO_ROOT, "apps/cli/bin/pancode.js");
const SCENARIOS = join(import.meta.dirname, "..", "fixtures", "scenarios");
/** Variables of the developer's machine that would change what the worker discovers. */
const DISCOVERY_VARS = [
  "PANCODE_CONFIG",
  "ANTHROPIC_API_KEY",
  "ANTHROPIC_BASE_URL",
  "OPENAI_API_KEY",
  "OPENAI_BASE_URL",
  "GEMINI_API_KEY",
  "GOOGLE_API_KEY",
  "OLLAMA_HOST",
  "LMSTUDIO_BASE_URL",
  "LLAMACPP_BASE_URL",
  "MISTRAL_API_KEY",
];

interface Up {
  child: ChildProcess;
  output: () => string;
  dataDir: string;
  /** Environment of CLI commands against this cluster. */
  env: Record<string, string>;
}

/** `pancode up --workers 1` on a fresh data dir with `extraEnv` (and nothing discovered from this machine). */
async function startUp(extraEnv: Record<string, string>): Promise<Up> {
  const dataDir = await mkdtemp(join(tmpdir(), "pancode-zero-config-"));
  const clean = { ...process.env };
  for (const key of ["DATABASE_URL", "NATS_URL", "PANCODE_TOKEN", "PANCODE_COORDINATOR", ...DISCOVERY_VARS]) {
    delete clean[key];
  }
  const child = spawn(process.execPath, [CLI, "up", "--port", "0", "--data-dir", dataDir, "--workers", "1"], {
    env: { ...clean, PANCODE_DRAIN_GRACE_MS: "1500", PANCODE_LOG_LEVEL: "warn", ...extraEnv },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
  const deadline = Date.now() + 60_000;
  while (!/cluster up at (\S+)/.test(output)) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`pancode up did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const address = /cluster up at (\S+)/.exec(output)?.[1] as string;
  return {
    child,
    output: () => output,
    dataDir,
    // No safety level: the seed's default (auto-edit) admits dev.
    env: { PANCODE_DATA_DIR: dataDir, PANCODE_COORDINATOR: address, PANCODE_TOKEN: "", PANCODE_SAFETY: "" },
  };
}

async function stopUp(up: Up | undefined): Promise<void> {
  if (!up) return;
  await stopProcess(up.child);
  await rm(up.dataDir, { recursive: true, force: true });
}

/** The worker registers right after `cluster up` is printed; `pancode models` shows a model once it has. */
async function modelsOnceServed(up: Up, cwd: string): Promise<Record<string, unknown> & { models: unknown[] }> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const result = await runCli(["models", "--json"], { cwd, env: up.env });
    expect(result.code, result.stderr).toBe(0);
    const list = JSON.parse(result.stdout);
    if (list.models.some((m: { workers: string[] }) => m.workers.length > 0) || Date.now() > deadline) return list;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A loopback port nothing listens on: one the system just handed out and that was closed again. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  await ensureTestImages();
});

describe("with a local engine where Ollama listens and no config file", () => {
  let models: ModelServer;
  let up: Up;

  beforeAll(async () => {
    models = await startModelServer({
      scenarios: { "qwen-coder": await loadScenario(join(SCENARIOS, "write-file.yaml")) },
    });
    up = await startUp({ OLLAMA_HOST: models.url });
  });
  afterAll(async () => {
    await stopUp(up);
    await models?.stop();
  });

  it("lists the engine's models as free, served by the worker, the first one the default", async () => {
    const repo = await createRepo({ files: { "README.md": "# demo\n" } });
    const list = await modelsOnceServed(up, repo.dir);
    expect(list).toMatchObject({ source: "discovered", defaultModel: "ollama/qwen-coder", problems: [] });
    expect(list.models).toEqual([
      expect.objectContaining({
        ref: "ollama/qwen-coder",
        provider: "ollama",
        priceInput: 0,
        priceOutput: 0,
        isDefault: true,
        workers: [expect.any(String)],
      }),
    ]);
    const human = await runCli(["models"], { cwd: repo.dir, env: up.env });
    expect(human.stdout).toMatch(/ollama\/qwen-coder \*\s+ollama\s+free\s+\S+/);
    await repo.cleanup();
  });

  it("runs `pancode dispatch <task> --wait` with no flags: dev, through Pi, on the engine, edits merged", async () => {
    const repo = await createRepo({ files: { "README.md": "# demo\n" } });
    await modelsOnceServed(up, repo.dir);
    const result = await runCli(["dispatch", "Create hello.txt", "--wait", "--json"], {
      cwd: repo.dir,
      env: up.env,
      timeoutMs: 180_000,
    });
    expect(result.code, result.stderr).toBe(0);
    const run = JSON.parse(result.stdout);
    expect(run).toMatchObject({ status: "done", agent: "dev", model: "ollama/qwen-coder", costUsd: 0 });
    expect(run.merge.outcome).toBe("clean");
    expect(await readFile(join(repo.dir, "hello.txt"), "utf8")).toBe("hello from pancode\n");
    // Pi spoke OpenAI chat to the engine's /v1, the way it would to a real Ollama.
    expect(models.requests.filter((r) => r.api === "openai-chat" && r.model === "qwen-coder").length).toBe(2);
    expect(models.requests.some((r) => r.api === "ollama-tags")).toBe(true);
    await repo.cleanup();
  });

  it("refuses a --model no worker serves, naming the served models and `pancode models`", async () => {
    const repo = await createRepo({ files: { "README.md": "# demo\n" } });
    const result = await runCli(["dispatch", "Create hello.txt", "--model", "ollama/llama-9000", "--wait"], {
      cwd: repo.dir,
      env: up.env,
    });
    expect(result.code).toBe(4);
    expect(result.stderr.trim()).toBe(
      'pancode: Dispatch blocked: no worker serves model "ollama/llama-9000"; served models: ollama/qwen-coder (see `pancode models`)',
    );
    await repo.cleanup();
  });
});

describe("with ANTHROPIC_API_KEY and no config file", () => {
  const KEY = "sk-ant-scripted-e2e";
  let models: ModelServer;
  let up: Up;

  let closed: number;

  beforeAll(async () => {
    closed = await closedPort();
    models = await startModelServer({
      scenarios: { "claude-sonnet-4-5": await loadScenario(join(SCENARIOS, "write-file.yaml")) },
    });
    up = await startUp({
      ANTHROPIC_API_KEY: KEY,
      ANTHROPIC_BASE_URL: models.anthropicBaseUrl,
      // Bad input on the same worker: an engine pointed at where nothing listens, a key the catalogue cannot use.
      LMSTUDIO_BASE_URL: `http://127.0.0.1:${closed}`,
      MISTRAL_API_KEY: "m-key",
      // Another vendor behind the OpenAI API: the scripted server lists only its Claude model there.
      OPENAI_API_KEY: "sk-openai-scripted",
      OPENAI_BASE_URL: models.openaiBaseUrl,
    });
  });
  afterAll(async () => {
    await stopUp(up);
    await models?.stop();
  });

  it("makes the catalogue's Anthropic default the cluster default, priced, and says what it could not use", async () => {
    const repo = await createRepo({ files: { "README.md": "# demo\n" } });
    const list = await modelsOnceServed(up, repo.dir);
    expect(list.defaultModel).toBe("anthropic/claude-sonnet-4-5");
    expect(list.models).toContainEqual(
      expect.objectContaining({ ref: "anthropic/claude-sonnet-4-5", priceInput: 3, priceOutput: 15, isDefault: true }),
    );
    expect(list.problems).toEqual([
      expect.stringMatching(
        /^MISTRAL_API_KEY is set but the built-in catalogue has no models for provider "mistral"; declare its models in a cluster config file \(PANCODE_CONFIG/,
      ),
      `OPENAI_BASE_URL=${models.openaiBaseUrl} lists none of the catalogue's openai models (it has: claude-sonnet-4-5); declare its models in a cluster config file (PANCODE_CONFIG: providers: [{ name: <name>, api: openai-completions, baseUrl: ..., apiKeyEnv: OPENAI_API_KEY, models: [{ id: ... }] }])`,
      expect.stringMatching(
        /^LM Studio at http:\/\/127\.0\.0\.1:\d+ \(LMSTUDIO_BASE_URL\) is unreachable \(ECONNREFUSED\): start it there, or unset LMSTUDIO_BASE_URL$/,
      ),
    ]);
    expect(JSON.stringify(list)).not.toContain(KEY);
    // The worker said so when it started, naming the address.
    expect(up.output()).toMatch(
      /model provider lmstudio unavailable: LM Studio at http:\/\/127\.0\.0\.1:\d+ \(LMSTUDIO_BASE_URL\)/,
    );
    await repo.cleanup();
  });

  it("runs the default agent on anthropic/claude-sonnet-4-5 with the worker's key, at the catalogue's prices", async () => {
    const repo = await createRepo({ files: { "README.md": "# demo\n" } });
    await modelsOnceServed(up, repo.dir);
    const result = await runCli(["dispatch", "Create hello.txt", "--wait", "--json"], {
      cwd: repo.dir,
      env: up.env,
      timeoutMs: 180_000,
    });
    expect(result.code, result.stderr).toBe(0);
    const run = JSON.parse(result.stdout);
    expect(run).toMatchObject({ status: "done", agent: "dev", model: "anthropic/claude-sonnet-4-5" });
    expect(run.merge.outcome).toBe("clean");
    expect(await readFile(join(repo.dir, "hello.txt"), "utf8")).toBe("hello from pancode\n");
    // (1200*3 + 40*15) + (1300*3 + 12*15 + 1000*0.3) per million tokens.
    expect(run.costUsd).toBeCloseTo(0.00858, 9);
    const calls = models.requests.filter((r) => r.api === "anthropic-messages");
    expect(calls.length).toBe(2);
    expect(calls[0]?.apiKey).toBe(KEY);
    await repo.cleanup();
  });

  it("refuses models of providers the worker could not offer, each saying what to do", async () => {
    const repo = await createRepo({ files: { "README.md": "# demo\n" } });
    const engine = await runCli(["dispatch", "Create hello.txt", "--model", "lmstudio/qwen"], {
      cwd: repo.dir,
      env: up.env,
    });
    expect(engine.code).toBe(4);
    expect(engine.stderr.trim()).toMatch(
      /^pancode: Dispatch blocked: no worker serves model "lmstudio\/qwen": LM Studio at http:\/\/127\.0\.0\.1:\d+ \(LMSTUDIO_BASE_URL\) is unreachable \(ECONNREFUSED\): start it there, or unset LMSTUDIO_BASE_URL$/,
    );
    const unlisted = await runCli(["dispatch", "Create hello.txt", "--model", "mistral/codestral"], {
      cwd: repo.dir,
      env: up.env,
    });
    expect(unlisted.code).toBe(4);
    expect(unlisted.stderr.trim().split("\n")).toHaveLength(1);
    expect(unlisted.stderr).toMatch(
      /no worker serves model "mistral\/codestral": MISTRAL_API_KEY is set but .*PANCODE_CONFIG/,
    );
    const moved = await runCli(["dispatch", "Create hello.txt", "--model", "openai/gpt-5"], {
      cwd: repo.dir,
      env: up.env,
    });
    expect(moved.code).toBe(4);
    expect(moved.stderr).toContain(
      `no worker serves model "openai/gpt-5": OPENAI_BASE_URL=${models.openaiBaseUrl} lists none of the catalogue's openai models`,
    );
    await repo.cleanup();
  });
});

describe("with OLLAMA_HOST set but nothing listening there, and nothing else", () => {
  let up: Up;
  let closed: number;

  beforeAll(async () => {
    closed = await closedPort();
    up = await startUp({ OLLAMA_HOST: `127.0.0.1:${closed}` });
  });
  afterAll(() => stopUp(up));

  it("refuses a dispatch with one line naming the engine, its address and the variable", async () => {
    const repo = await createRepo({ files: { "README.md": "# demo\n" } });
    // The worker's warning is out once it has registered; by then the coordinator knows the problem too.
    const deadline = Date.now() + 30_000;
    while (!/model provider ollama unavailable/.test(up.output()) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(up.output()).toContain(`Ollama at http://127.0.0.1:${closed} (OLLAMA_HOST) is unreachable (ECONNREFUSED)`);
    const result = await runCli(["dispatch", "Create hello.txt", "--wait"], { cwd: repo.dir, env: up.env });
    expect(result.code).toBe(4);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(
      new RegExp(
        `^pancode: Dispatch blocked: no model provider is available: .*; workers report: Ollama at http://127\\.0\\.0\\.1:${closed} \\(OLLAMA_HOST\\) is unreachable \\(ECONNREFUSED\\): start it there, or unset OLLAMA_HOST\\n$`,
      ),
    );
    await repo.cleanup();
  });
});

describe("with OPENAI_API_KEY and GEMINI_API_KEY and no config file", () => {
  let models: ModelServer;
  let up: Up;

  beforeAll(async () => {
    const writer = await loadScenario(join(SCENARIOS, "write-file.yaml"));
    models = await startModelServer({ scenarios: { "gpt-5": writer, "gemini-2.5-pro": writer } });
    up = await startUp({
      OPENAI_API_KEY: "sk-openai-scripted",
      OPENAI_BASE_URL: models.openaiBaseUrl,
      GEMINI_API_KEY: "gemini-scripted",
      GOOGLE_GEMINI_BASE_URL: models.geminiBaseUrl,
    });
  });
  afterAll(async () => {
    await stopUp(up);
    await models?.stop();
  });

  it("prefers openai's default, and Pi drives both the Responses API and Gemini's", async () => {
    const repo = await createRepo({ files: { "README.md": "# demo\n" } });
    const list = await modelsOnceServed(up, repo.dir);
    expect(list.defaultModel).toBe("openai/gpt-5");
    for (const [model, api] of [
      ["openai/gpt-5", "openai-responses"],
      ["google/gemini-2.5-pro", "gemini"],
    ] as const) {
      const args = model === list.defaultModel ? [] : ["--model", model];
      const result = await runCli(["dispatch", "Create hello.txt", ...args, "--wait", "--json"], {
        cwd: repo.dir,
        env: up.env,
        timeoutMs: 180_000,
      });
      expect(result.code, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ status: "done", model, merge: { outcome: "clean" } });
      expect(await readFile(join(repo.dir, "hello.txt"), "utf8")).toBe("hello from pancode\n");
      expect(models.requests.filter((r) => r.api === api).length, model).toBe(2);
      await rm(join(repo.dir, "hello.txt"));
    }
    await repo.cleanup();
  });
});
