import { execFile } from "node:child_process";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { isScriptableEnv, moveEntries, runScript } from "./warm-slot.js";

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "pancode-slot-"));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe("a warm container's run script", () => {
  it("exports every value and passes every argument byte for byte, however hostile", async () => {
    const hostile = `it's "q" $HOME \`id\` $(id) \\ ; & | > < * ? \n second line '' '\\''`;
    const dir = await tempDir();
    const script = join(dir, "run.sh");
    await writeFile(
      script,
      runScript(["node", "-e", "console.log(JSON.stringify([process.env.V, process.argv.slice(1)]))", hostile, "-x"], {
        V: hostile,
      }),
    );
    // As the warm container does: a shell sources it, and it replaces the shell with the command.
    const { stdout } = await promisify(execFile)("sh", ["-c", `. ${script}`], { env: { PATH: process.env.PATH } });
    expect(JSON.parse(stdout)).toEqual([hostile, [hostile, "-x"]]);
  });

  it("refuses names a shell cannot export, so such runs take a fresh container", () => {
    expect(isScriptableEnv({ GOOD_1: "x", _ok: "" })).toBe(true);
    expect(isScriptableEnv({ "BAD-NAME": "x" })).toBe(false);
    expect(isScriptableEnv({ "X=Y": "x" })).toBe(false);
    expect(isScriptableEnv({ "1X": "x" })).toBe(false);
  });
});

describe("moveEntries", () => {
  it("moves a directory's entries into the slot and everything there back, new files included", async () => {
    const from = await tempDir();
    const to = await tempDir();
    await writeFile(join(from, "a.txt"), "a");
    await writeFile(join(from, ".hidden"), "h");
    const back = await moveEntries(from, to);
    expect(await readdir(from)).toEqual([]);
    expect((await readdir(to)).sort()).toEqual([".hidden", "a.txt"]);
    await writeFile(join(to, "made-by-run.txt"), "m");
    await back();
    expect((await readdir(from)).sort()).toEqual([".hidden", "a.txt", "made-by-run.txt"]);
    expect(await readdir(to)).toEqual([]);
  });
});
