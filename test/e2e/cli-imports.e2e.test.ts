import { spawn } from "node:child_process";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "@pancode/testing/cluster";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// What a client command loads, seen through a module resolve hook on the real built CLI: only the invoked
// command's module, no service code (coordinator, worker, PGlite, dockerode), and no OpenTelemetry SDK unless an
// OTEL_* variable asks for it. The module graph is checked on the compiled entry (dist/main.js), where every module
// is its own file. bin/pancode.js runs one of two bundles esbuild makes from it: the single file dist/pancode.cjs
// with V8's code cache, where what matters is which modules' bodies run (seen in V8's coverage: esbuild wraps each
// lazily loaded module in a function named after its path), or without a usable cache directory the split bundle
// dist/bundle, checked for the chunks it reads. Start-up time itself is measured in `npm run bench`
// (bench/cli-start-bench.ts).

const COMPILED = join(REPO_ROOT, "apps/cli/dist/main.js");
const CLI = join(REPO_ROOT, "apps/cli/bin/pancode.js");
let dir: string;

const HOOKS = `import { appendFileSync } from "node:fs";
let log = "";
export function initialize(data) { log = data.log; }
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(log, result.url + "\\n");
  return result;
}
`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pancode-imports-"));
  await writeFile(join(dir, "hooks.mjs"), HOOKS);
  await writeFile(
    join(dir, "register.mjs"),
    `import { register } from "node:module";\nregister("./hooks.mjs", import.meta.url, { data: { log: process.env.IMPORT_LOG } });\n`,
  );
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Runs the CLI with `args` (no coordinator listens at its address) and returns its exit code and loaded modules. */
async function loadedBy(
  args: string[],
  env: Record<string, string> = {},
  entry = COMPILED,
): Promise<{ code: number; urls: string[] }> {
  const log = join(dir, `${args.join("_").replace(/\W/g, "")}-${Date.now()}.log`);
  await writeFile(log, "");
  const child = spawn(process.execPath, ["--import", join(dir, "register.mjs"), entry, ...args], {
    cwd: dir,
    env: { ...process.env, IMPORT_LOG: log, PANCODE_COORDINATOR: "127.0.0.1:1", PANCODE_TOKEN: "t", ...env },
    stdio: "ignore",
  });
  const code = await new Promise<number>((resolve) => child.on("exit", (c) => resolve(c ?? -1)));
  return { code, urls: (await readFile(log, "utf8")).split("\n").filter(Boolean) };
}

/**
 * Runs bin/pancode.js with `args` through the single-file bundle and its code cache (a fresh cache directory, and
 * the coordinator unreachable) and returns its exit code and the bundled modules whose bodies ran: esbuild gives
 * each lazily initialised module a wrapper function named after its path ("dist/commands/runs.js",
 * "../../node_modules/zod/...").
 */
async function evaluatedBy(args: string[]): Promise<{ code: number; modules: string[] }> {
  const coverage = await mkdtemp(join(dir, "coverage-"));
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: dir,
    env: {
      ...process.env,
      NODE_V8_COVERAGE: coverage,
      XDG_CACHE_HOME: join(dir, "cache"),
      PANCODE_CODE_CACHE: "",
      PANCODE_COORDINATOR: "127.0.0.1:1",
      PANCODE_TOKEN: "t",
    },
    stdio: "ignore",
  });
  const code = await new Promise<number>((resolve) => child.on("exit", (c) => resolve(c ?? -1)));
  const [file] = await readdir(coverage);
  const report = JSON.parse(await readFile(join(coverage, file ?? ""), "utf8")) as {
    result: { url: string; functions: { functionName: string; ranges: { count: number }[] }[] }[];
  };
  const bundle = report.result.find((script) => script.url.endsWith("/apps/cli/dist/pancode.cjs"));
  expect(bundle, "bin/pancode.js ran the single-file bundle").toBeDefined();
  const modules = (bundle?.functions ?? [])
    .filter((fn) => /\.(c|m)?js$/.test(fn.functionName) && (fn.ranges[0]?.count ?? 0) > 0)
    .map((fn) => fn.functionName);
  return { code, modules };
}

const commandModules = (urls: string[]) =>
  [...new Set(urls.filter((u) => u.includes("/apps/cli/dist/commands/")).map((u) => u.split("/").pop()))].sort();

/** bin/pancode.js without the code cache: the split bundle in dist/bundle. */
const SPLIT = { PANCODE_CODE_CACHE: "0" };

const SERVICE_CODE = /apps\/(coordinator|worker|server)\/|packages\/(db|bus|sandbox)\/|pglite|dockerode|nats/;

describe("client start-up imports", () => {
  it("--version loads no command and no workspace package", async () => {
    const { code, urls } = await loadedBy(["--version"]);
    expect(code).toBe(0);
    expect(commandModules(urls)).toEqual([]);
    expect(urls.filter((u) => /\/packages\/|@grpc|zod/.test(u))).toEqual([]);
  });

  it.each([
    [["runs"], "runs.js"],
    [["runs", "--json"], "runs.js"],
    [["show", "abcd1234"], "runs.js"],
    [["logs", "abcd1234"], "logs.js"],
    [["diff", "abcd1234"], "logs.js"],
  ])("%j loads only its own command module and no service, git, agent or telemetry code", async (args, module) => {
    const { code, urls } = await loadedBy(args);
    expect(code).toBe(4); // nothing listens at 127.0.0.1:1: coordinator unreachable
    expect(commandModules(urls)).toEqual([module]);
    expect(urls.filter((u) => SERVICE_CODE.test(u))).toEqual([]);
    expect(urls.filter((u) => /packages\/(git|agents|receipts|telemetry)\/|@opentelemetry\/sdk/.test(u))).toEqual([]);
  });

  it("loads the telemetry package only when an OTEL_* variable is set", async () => {
    const { urls } = await loadedBy(["runs"], { OTEL_TRACES_EXPORTER: "console" });
    expect(urls.some((u) => u.includes("/packages/telemetry/"))).toBe(true);
  });

  it("bin/pancode.js loads telemetry too: with OTEL_* it runs the split bundle, as cached code cannot import()", async () => {
    const env = { OTEL_TRACES_EXPORTER: "console", XDG_CACHE_HOME: join(dir, "cache") };
    for (const round of ["compiles", "from the cache"]) {
      const { code, urls } = await loadedBy(["runs"], env, CLI);
      expect(code, round).toBe(4); // the coordinator is unreachable; not an import failure (exit 1)
      expect(urls.some((u) => u.includes("/packages/telemetry/"))).toBe(true);
      expect(urls.some((u) => u.includes("/apps/cli/dist/bundle/main.js"))).toBe(true);
    }
  });

  it("the single-file bundle runs no command's module for --version, and only its own for runs", async () => {
    const version = await evaluatedBy(["--version"]);
    expect(version.code).toBe(0);
    expect(version.modules.filter((m) => /dist\/commands\/|packages\/|@grpc|zod/.test(m))).toEqual([]);
    const runs = await evaluatedBy(["runs"]);
    expect(runs.code).toBe(4);
    expect(runs.modules.filter((m) => m.includes("dist/commands/"))).toEqual(["dist/commands/runs.js"]);
    expect(runs.modules.filter((m) => SERVICE_CODE.test(m))).toEqual([]);
    expect(
      runs.modules.filter((m) => /packages\/(git|agents|receipts|telemetry)\/|node_modules\/zod\//.test(m)),
    ).toEqual([]);
  });

  it("the single-file bundle's dispatch runs no schema library, YAML parser, simple-git or live watch view", async () => {
    const { code, modules } = await evaluatedBy(["dispatch", "true", "--agent", "shell", "--wait"]);
    expect(code).not.toBe(0); // dir is no git checkout
    expect(modules).toContain("dist/commands/dispatch.js");
    expect(modules).toContain("../../packages/git/dist/snapshot.js");
    expect(modules.filter((m) => /node_modules\/(zod|yaml|simple-git)\//.test(m))).toEqual([]);
    expect(modules.filter((m) => m.includes("watch-runs.js"))).toEqual([]);
  });

  it("the split bundle (no code cache) loads no command's chunk for --version, and only its own command's chunk for runs", async () => {
    // esbuild names a command's chunk after its module (runs-<hash>.js); shared code goes to chunk-<hash>.js.
    const commandChunks = (urls: string[]) =>
      urls
        .filter((u) => u.includes("/apps/cli/dist/bundle/"))
        .map((u) => u.split("/").pop() as string)
        .filter((f) => f !== "main.js" && !f.startsWith("chunk-"))
        .map((f) => f.replace(/-\w+\.js$/, ""));
    const version = await loadedBy(["--version"], SPLIT, CLI);
    expect(version.code).toBe(0);
    expect(commandChunks(version.urls)).toEqual([]);
    const runs = await loadedBy(["runs"], SPLIT, CLI);
    expect(runs.code).toBe(4);
    // exit-codes is main.ts's error path (the coordinator is unreachable here), loaded only when a command fails.
    expect(commandChunks(runs.urls)).toEqual(["runs", "exit-codes"]);
    expect(runs.urls.filter((u) => /\/(packages|apps\/cli\/dist\/commands)\/|node_modules/.test(u))).toEqual([]);
  });

  it("the split bundle's dispatch loads no schema library, no YAML parser, no simple-git and no live watch view", async () => {
    // esbuild keeps a `// <input path>` comment above each bundled module: what a loaded chunk carries is readable.
    const { code, urls } = await loadedBy(["dispatch", "true", "--agent", "shell", "--wait"], SPLIT, CLI);
    expect(code).not.toBe(0); // dir is no git checkout
    const chunks = urls.filter((u) => u.includes("/apps/cli/dist/bundle/")).map((u) => new URL(u).pathname);
    expect(chunks.some((path) => /\/dispatch-\w+\.js$/.test(path))).toBe(true);
    const carried = (await Promise.all(chunks.map((path) => readFile(path, "utf8")))).join("\n");
    expect(carried).toContain("packages/git/dist/snapshot.js");
    // zod (0.75 MB with its locales) is for validating agent files and events, which a dispatch leaves to the
    // coordinator: the dispatch path imports @pancode/core and @pancode/agents by subpath, never their barrels.
    expect(carried).not.toMatch(/node_modules\/(zod|yaml|simple-git)\//);
    expect(carried).not.toContain("dist/watch/watch-runs.js");
  });

  it("contexts: `context list` loads no gRPC; the YAML parser loads only when a saved context may be needed", async () => {
    const home = join(dir, "xdg");
    await mkdir(join(home, "pancode"), { recursive: true });
    const config = "current-context: nowhere\ncontexts:\n  - {name: nowhere, address: 127.0.0.1:1, token: t}\n";
    await writeFile(join(home, "pancode", "config.yaml"), config, { mode: 0o600 });
    const yaml = (urls: string[]) => urls.some((u) => u.includes("/node_modules/yaml/"));
    const noEnv = { XDG_CONFIG_HOME: home, PANCODE_COORDINATOR: "", PANCODE_TOKEN: "" };
    const list = await loadedBy(["context", "list"], noEnv);
    expect(list.code).toBe(0);
    expect(yaml(list.urls)).toBe(true);
    expect(list.urls.filter((u) => /@grpc|\/packages\/proto\//.test(u))).toEqual([]);
    const viaEnv = await loadedBy(["runs"], { XDG_CONFIG_HOME: home });
    expect(viaEnv.code).toBe(4);
    expect(yaml(viaEnv.urls)).toBe(false);
    const viaContext = await loadedBy(["runs"], noEnv);
    expect(viaContext.code).toBe(4); // the context points at 127.0.0.1:1 too
    expect(yaml(viaContext.urls)).toBe(true);
    expect(yaml((await loadedBy(["--version"], noEnv)).urls)).toBe(false);
  });

  it("`pancode up --help` is answered by the service host in a child process", async () => {
    const { code, urls } = await loadedBy(["up", "--help"]);
    expect(code).toBe(0);
    expect(commandModules(urls)).toEqual(["services.js"]);
    expect(urls.filter((u) => SERVICE_CODE.test(u))).toEqual([]);
  });
});

describe("a client installed without the service host", () => {
  it("answers `pancode up` with one line saying how to get pancode-server, exit 2", async () => {
    // The client alone: its bin, dist and package.json, and commander, with no @pancode/server beside it.
    const lone = join(dir, "lone");
    await mkdir(join(lone, "node_modules"), { recursive: true });
    await symlink(join(REPO_ROOT, "node_modules/commander"), join(lone, "node_modules/commander"));
    for (const part of ["bin", "dist", "package.json"]) {
      await cp(join(REPO_ROOT, "apps/cli", part), join(lone, "cli", part), { recursive: true });
    }
    const child = spawn(process.execPath, [join(lone, "cli/bin/pancode.js"), "up", "--workers", "1"], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(code).toBe(2);
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(stderr).toMatch(/needs the service host.*install @pancode\/server/);
  });
});
