import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { isPanCodeError } from "@pancode/core/errors";
import { findRepoRoot } from "@pancode/git";
import type { AgentFile } from "@pancode/proto";

/** Where a repository keeps its agent and team definitions, and which files there count. */
const DEFINITION_DIRS: readonly [string, RegExp][] = [
  [".pancode/agents", /\.md$/i],
  [".pancode/teams", /\.ya?ml$/i],
];

/**
 * Reads the repository's agent files (`.pancode/agents/*.md`) and team files (`.pancode/teams/*.yaml`) from the
 * working tree, in name order, with paths relative to the root. The coordinator validates them; a repository
 * without these directories simply has none.
 */
export async function readAgentFiles(repoRoot: string): Promise<AgentFile[]> {
  const files: AgentFile[] = [];
  for (const [dir, pattern] of DEFINITION_DIRS) {
    let names: string[];
    try {
      const entries = await readdir(join(repoRoot, dir), { withFileTypes: true });
      names = entries
        .filter((e) => e.isFile() && pattern.test(e.name))
        .map((e) => e.name)
        .sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT" || (err as NodeJS.ErrnoException).code === "ENOTDIR") {
        continue;
      }
      throw err;
    }
    for (const name of names) {
      files.push({ path: `${dir}/${name}`, content: await readFile(join(repoRoot, dir, name), "utf8") });
    }
  }
  return files;
}

/** The definitions of the repository around `cwd`; none outside a git checkout (listing agents needs no repo). */
export async function readAgentFilesAround(cwd: string): Promise<AgentFile[]> {
  try {
    return await readAgentFiles(await findRepoRoot(cwd));
  } catch (err) {
    if (isPanCodeError(err) && err.code === "NOT_A_GIT_REPO") return [];
    throw err;
  }
}
