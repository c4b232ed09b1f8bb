/**
 * Global setup of the e2e project: gives the fault scenarios one file to append their rows to, and prints the
 * table of every scenario of the run at the end (each test file runs in its own worker, so no file sees them all).
 * Prints nothing when no fault scenario ran.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { faultTable, type Tally } from "./run-accounting.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** JSON lines of {@link Tally}, one per fault scenario run. */
    faultTablePath: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = await mkdtemp(join(tmpdir(), "pancode-fault-table-"));
  const path = join(dir, "tallies.jsonl");
  project.provide("faultTablePath", path);
  return async () => {
    const lines = await readFile(path, "utf8").catch(() => "");
    const tallies = lines
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Tally);
    if (tallies.length > 0) console.log(`\nfault suite (test/faults)\n${faultTable(tallies)}\n`);
    await rm(dir, { recursive: true, force: true });
  };
}
