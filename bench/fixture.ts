import { createRepo, type FixtureRepo, writeFiles } from "@pancode/testing/git";

/**
 * The workspace every benchmark dispatch runs on: a small TypeScript project (24 committed files) with the kind of
 * uncommitted state a developer usually has (one modified file, one untracked file), so the worker exercises the
 * whole workspace path: mirror lookup, state blob fetch, `git apply`, baseline tree, and the patch afterwards.
 */
export async function createBenchRepo(): Promise<FixtureRepo> {
  const files: Record<string, string> = {
    "package.json": `${JSON.stringify({ name: "bench-fixture", version: "1.0.0", type: "module" }, null, 2)}\n`,
    "README.md": "# bench fixture\n\nA small project the dispatch benchmark runs on.\n",
    ".gitignore": "node_modules/\ndist/\n",
  };
  for (let i = 0; i < 20; i++) {
    files[`src/module-${i}.ts`] = `export function f${i}(x: number): number {\n  return x * ${i} + 1;\n}\n`.repeat(20);
  }
  files["src/index.ts"] =
    `${Array.from({ length: 20 }, (_, i) => `export { f${i} } from "./module-${i}.js";`).join("\n")}\n`;
  const repo = await createRepo({ files });
  await writeFiles(repo.dir, {
    "src/module-0.ts": `${files["src/module-0.ts"]}export const edited = true;\n`,
    "notes.md": "work in progress, not committed\n",
  });
  return repo;
}
