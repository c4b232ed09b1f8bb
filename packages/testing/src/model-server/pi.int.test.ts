import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findCli, jsonLines, runCli } from "./run-cli.js";
import { loadScenario } from "./scenario.js";
import type { ModelServer } from "./server.js";
import { startModelServer } from "./server.js";

// The real Pi CLI, run on this host against the scripted server over each wire format Pi speaks. Pi lives in the
// agent image, not necessarily on the host: these tests run when `pi` is on PATH or PANCODE_TEST_PI_BIN names it
// (e.g. after `npm install --prefix /tmp/pi-check @mariozechner/pi-coding-agent@0.73.1`) and are skipped otherwise.
const piBin = findCli("PANCODE_TEST_PI_BIN", "pi");
const fixtures = fileURLToPath(new URL("../../../../test/fixtures/scenarios/", import.meta.url));
const API_KEY = "sk-pi-scripted-secret";

interface PiMessage {
  role: string;
  stopReason?: string;
  usage?: { input: number; output: number; cacheRead: number; cost: { total: number } };
  content?: { type: string; name?: string }[];
}

let server: ModelServer;
let dir: string;
beforeAll(async () => {
  server = await startModelServer({ scenarios: await loadScenario(join(fixtures, "write-file.yaml")) });
  dir = await mkdtemp(join(tmpdir(), "pancode-pi-"));
});
afterAll(async () => {
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function baseUrlFor(api: string): string {
  if (api === "anthropic-messages") return server.anthropicBaseUrl;
  if (api === "google-generative-ai") return `${server.geminiBaseUrl}/v1beta`;
  return server.openaiBaseUrl;
}

describe.skipIf(!piBin)("real Pi against the scripted model server", () => {
  it.each(["openai-completions", "anthropic-messages", "openai-responses", "google-generative-ai"])(
    "%s: Pi writes hello.txt with its write tool and reports the scripted usage and cost",
    async (api) => {
      const home = join(dir, api, "home");
      const cwd = join(dir, api, "work");
      await mkdir(join(home, ".pi", "agent"), { recursive: true });
      await mkdir(cwd, { recursive: true });
      const models = [{ id: "scripted-coder", cost: { input: 1, output: 2, cacheRead: 0.1, cacheWrite: 0 } }];
      const provider = {
        baseUrl: baseUrlFor(api),
        api,
        apiKey: API_KEY,
        compat: { supportsDeveloperRole: false },
        models,
      };
      await writeFile(join(home, ".pi", "agent", "models.json"), JSON.stringify({ providers: { scripted: provider } }));
      const before = server.requests.length;

      const args = [
        "--offline",
        "--no-session",
        "--mode",
        "json",
        "-p",
        "--provider",
        "scripted",
        "--model",
        "scripted-coder",
      ];
      const env = { PATH: process.env.PATH ?? "", HOME: home };
      const { stdout, stderr, code } = await runCli({
        bin: piBin ?? "pi",
        args: [...args, "Create hello.txt"],
        cwd,
        env,
      });

      expect(code, stderr).toBe(0);
      expect(await readFile(join(cwd, "hello.txt"), "utf8")).toBe("hello from pancode\n");
      const end = jsonLines(stdout).at(-1) as { type?: string; messages?: PiMessage[] } | undefined;
      expect(end?.type).toBe("agent_end");
      const assistants = (end?.messages ?? []).filter((m) => m.role === "assistant");
      expect(assistants.map((m) => m.stopReason)).toEqual(["toolUse", "stop"]);
      expect(assistants[0]?.content?.find((c) => c.type === "toolCall")?.name).toBe("write");
      expect(assistants.map((m) => [m.usage?.input, m.usage?.output, m.usage?.cacheRead])).toEqual([
        [1200, 40, 0],
        [1300, 12, 1000],
      ]);
      // 1200*1 + 40*2 = 1280 and 1300*1 + 12*2 + 1000*0.1 = 1424 USD per million tokens.
      expect(assistants.map((m) => m.usage?.cost.total)).toEqual([
        expect.closeTo(0.00128, 9),
        expect.closeTo(0.001424, 9),
      ]);
      expect(stdout).not.toContain(API_KEY);

      const requests = server.requests.slice(before);
      expect(requests.map((r) => [r.turnIndex, r.status, r.apiKey])).toEqual([
        [0, 200, API_KEY],
        [1, 200, API_KEY],
      ]);
      expect(requests[0]?.tools).toEqual(expect.arrayContaining(["read", "bash", "edit", "write"]));
      expect(requests[0]?.system?.length).toBeGreaterThan(100);
      expect(requests[1]?.messages.at(-1)?.role).toBe("tool");
    },
  );
});
