import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type Cluster, startCluster } from "@pancode/testing/cluster";
import { createRepo } from "@pancode/testing/git";
import { afterEach, describe, expect, it } from "vitest";

// Live smoke tests against real providers, through the whole cluster with the real Pi agent. Each runs only when
// its API key is in the environment (never in CI here: no internet). Small, cheap models.

interface LiveProvider {
  name: string;
  keyEnv: string;
  api: string;
  baseUrl: string;
  model: string;
}

const PROVIDERS: LiveProvider[] = [
  {
    name: "anthropic",
    keyEnv: "ANTHROPIC_API_KEY",
    api: "anthropic-messages",
    baseUrl: "https://api.anthropic.com",
    model: "claude-haiku-4-5",
  },
  {
    name: "openai",
    keyEnv: "OPENAI_API_KEY",
    api: "openai-completions",
    baseUrl: "https://api.openai.com/v1",
    model: "gpt-4o-mini",
  },
  {
    name: "google",
    keyEnv: "GEMINI_API_KEY",
    api: "google",
    baseUrl: "https://generativelanguage.googleapis.com",
    model: "gemini-2.5-flash",
  },
];

let cluster: Cluster | undefined;

afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

for (const provider of PROVIDERS) {
  const key = process.env[provider.keyEnv];
  describe.skipIf(!key)(`live ${provider.name}`, () => {
    it("runs the dev agent end to end and merges its file", async () => {
      const repo = await createRepo({ files: { "README.md": "# live\n" } });
      const config = [
        "providers:",
        `  - name: ${provider.name}`,
        `    api: ${provider.api}`,
        `    baseUrl: ${provider.baseUrl}`,
        `    apiKeyEnv: ${provider.keyEnv}`,
        "    models:",
        `      - id: ${provider.model}`,
        `defaultModel: ${provider.name}/${provider.model}`,
        "",
      ].join("\n");
      await writeFile(join(repo.dir, ".git", "pancode-live.yaml"), config);
      const shared = { PANCODE_CONFIG: join(repo.dir, ".git", "pancode-live.yaml") };
      cluster = await startCluster({
        workers: 1,
        postgres: false,
        coordinatorEnv: shared,
        workerEnv: { ...shared, [provider.keyEnv]: key ?? "" },
      });
      const result = await cluster.cli(
        [
          "dispatch",
          "Create a file named live.txt containing exactly the word ok",
          "--agent",
          "dev",
          "--wait",
          "--json",
        ],
        { cwd: repo.dir, timeoutMs: 300_000 },
      );
      expect(result.code, result.stderr).toBe(0);
      expect((await readFile(join(repo.dir, "live.txt"), "utf8")).trim()).toBe("ok");
      await repo.cleanup();
    });
  });
}
