import { spawn } from "node:child_process";
import { chmod, chown, mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { REPO_ROOT } from "@pancode/testing/cluster";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

// The CLI's V8 code cache (apps/cli/src/launcher): bin/pancode.js compiles the single-file bundle with cached
// bytecode from $XDG_CACHE_HOME/pancode/code-cache. V8 checks only the source's length, not its text, so whoever
// can write that directory can make the CLI run their code: the attack below plants such a cache.

const CLI = join(REPO_ROOT, "apps/cli/bin/pancode.js");
const BUNDLE = join(REPO_ROOT, "apps/cli/dist/pancode.cjs");
const MAGIC = Buffer.from("pancode-v8-cache-1\n");
/** Another user's uid: we run as root in CI and chown the cache directory to it. */
const STRANGER = 12345;
const asRoot = process.getuid?.() === 0;

let dir: string;
let home: string;
let cacheDir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pancode-code-cache-"));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  home = await mkdtemp(join(dir, "xdg-"));
  cacheDir = join(home, "pancode", "code-cache");
});

function run(
  command: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn(command, args, {
    cwd: dir,
    env: { ...process.env, XDG_CACHE_HOME: home, PANCODE_CODE_CACHE: "", NODE_OPTIONS: "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code: code ?? -1, stdout, stderr })));
}

const version = () => run(process.execPath, [CLI, "--version"]);

/**
 * The cache file `pancode --version` uses: named by the bundle's hash, Node's version and arch, a CRC of Node's
 * flags (none here: no execArgv, no NODE_OPTIONS) and the command.
 */
async function versionCacheFile(): Promise<string> {
  const hash = /sha256:([0-9a-f]{64})/.exec(await readFile(BUNDLE, "latin1"))?.[1];
  expect(hash).toBeDefined();
  const flags = crc32("\0").toString(16);
  return join(cacheDir, `${hash?.slice(0, 32)}-${process.version}-${process.arch}-${flags}-default.v8cache`);
}

const withHeader = (payload: Buffer) => {
  const crc = Buffer.alloc(4);
  crc.writeUInt32LE(crc32(payload));
  return Buffer.concat([MAGIC, crc, payload]);
};

/**
 * The attack: V8's cached data for a script of the bundle's exact length that prints "pwned", with a valid header.
 * Made by a plain `node` (same flags as the CLI's), as anyone who can write the directory could.
 */
async function evilCache(): Promise<Buffer> {
  const out = join(dir, `evil-${Date.now()}.bin`);
  const maker = `
    const { readFileSync, writeFileSync } = require("node:fs");
    const { Script } = require("node:vm");
    const length = readFileSync(${JSON.stringify(BUNDLE)}, "latin1").length;
    const head = '(function () { process.stdout.write("pwned\\\\n"); process.exit(0); })/*';
    const evil = head + " ".repeat(length - head.length - 2) + "*/";
    writeFileSync(${JSON.stringify(out)}, new Script(evil, { filename: ${JSON.stringify(BUNDLE)} }).createCachedData());
  `;
  const made = await run(process.execPath, ["-e", maker]);
  expect(made.code, made.stderr).toBe(0);
  return withHeader(await readFile(out));
}

/** A cache file as the CLI writes it: the header, then a payload whose CRC-32 matches. */
const isIntact = (file: Buffer) =>
  file.subarray(0, MAGIC.length).equals(MAGIC) &&
  file.length > MAGIC.length + 4 &&
  file.readUInt32LE(MAGIC.length) === crc32(file.subarray(MAGIC.length + 4));

async function plant(file: string, data: Buffer): Promise<void> {
  await mkdir(cacheDir, { recursive: true, mode: 0o700 });
  await writeFile(file, data, { mode: 0o600 });
}

describe("the CLI's V8 code cache", () => {
  it("is created in a 0700 directory, 0600, and used as it is by the next start", async () => {
    expect((await version()).stdout).toBe("0.1.0\n");
    expect((await stat(join(home, "pancode"))).mode & 0o777).toBe(0o700);
    expect((await stat(cacheDir)).mode & 0o777).toBe(0o700);
    const file = await versionCacheFile();
    const first = await stat(file);
    expect(first.mode & 0o777).toBe(0o600);
    expect(await readdir(cacheDir)).toEqual([file.split("/").pop()]);
    expect((await version()).stdout).toBe("0.1.0\n");
    // Accepted by V8, so not written again.
    expect((await stat(file)).mtimeMs).toBe(first.mtimeMs);
  });

  it.each([
    ["bytes flipped in the bytecode", (data: Buffer) => data.map((b, i) => (i > 4000 && i % 97 === 0 ? b ^ 0xff : b))],
    ["truncated", (data: Buffer) => data.subarray(0, Math.floor(data.length / 2))],
    ["not a cache at all", () => Buffer.from("garbage\n")],
  ])("a cache file %s is not given to V8: the CLI runs and writes it again", async (_name, corrupt) => {
    await version();
    const file = await versionCacheFile();
    const corrupted = Buffer.from(corrupt(await readFile(file)));
    expect(isIntact(corrupted)).toBe(false);
    await writeFile(file, corrupted);
    const result = await version();
    expect(result).toEqual({ code: 0, stdout: "0.1.0\n", stderr: "" });
    // (Buffers compared with equals(): a failed toEqual on half a megabyte takes vitest minutes to print.)
    const rewritten = await readFile(file);
    expect(rewritten.equals(corrupted)).toBe(false);
    expect(isIntact(rewritten)).toBe(true);
  });

  it("removes another build's cache files once they are a day old, and keeps younger ones", async () => {
    const other = (name: string) => join(cacheDir, `${"0".repeat(31)}${name}-v0-x64-0-runs.v8cache`);
    await plant(other("a"), Buffer.from("old build\n"));
    await plant(other("b"), Buffer.from("another checkout\n"));
    const twoDaysAgo = new Date(Date.now() - 2 * 24 * 60 * 60 * 1000);
    await utimes(other("a"), twoDaysAgo, twoDaysAgo);
    expect((await version()).stdout).toBe("0.1.0\n");
    const names = (await readdir(cacheDir)).sort();
    expect(names).toEqual([other("b"), await versionCacheFile()].map((path) => path.split("/").pop()).sort());
  });

  it("premise of the tests below: V8 runs a planted cache of the same length, whatever the source says", async () => {
    // In our own private directory the cache is trusted: this is why no one else may write there.
    await plant(await versionCacheFile(), await evilCache());
    expect((await version()).stdout).toBe("pwned\n");
  });

  it("is not used when its directory is group-writable: the planted cache is never read", async () => {
    const file = await versionCacheFile();
    const planted = await evilCache();
    await plant(file, planted);
    await chmod(cacheDir, 0o770);
    const result = await version();
    expect(result).toEqual({ code: 0, stdout: "0.1.0\n", stderr: "" });
    expect((await readFile(file)).equals(planted)).toBe(true); // not rewritten either
    expect(await readdir(cacheDir)).toEqual([file.split("/").pop()]);
  });

  it("is not used when a directory above it can be written by others (they could swap it)", async () => {
    await plant(await versionCacheFile(), await evilCache());
    await chmod(home, 0o777);
    expect((await version()).stdout).toBe("0.1.0\n");
  });

  it("is not used when the cached file itself is writable by others", async () => {
    const file = await versionCacheFile();
    await plant(file, await evilCache());
    await chmod(file, 0o666);
    expect((await version()).stdout).toBe("0.1.0\n");
  });

  it("is off with PANCODE_CODE_CACHE=0: no directory is created", async () => {
    const result = await run(process.execPath, [CLI, "--version"], { PANCODE_CODE_CACHE: "0" });
    expect(result.stdout).toBe("0.1.0\n");
    await expect(stat(join(home, "pancode"))).rejects.toThrow(/ENOENT/);
  });
});

describe.skipIf(!asRoot)("a code cache directory owned by another user", () => {
  it("is not used, even 0700: the planted cache is never read", async () => {
    const file = await versionCacheFile();
    await plant(file, await evilCache());
    await chown(cacheDir, STRANGER, STRANGER);
    await chown(file, STRANGER, STRANGER);
    expect((await version()).stdout).toBe("0.1.0\n");
  });

  it("is not used when only the cache file belongs to another user", async () => {
    const file = await versionCacheFile();
    await plant(file, await evilCache());
    await chown(file, STRANGER, STRANGER);
    expect((await version()).stdout).toBe("0.1.0\n");
  });
});
