import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, test } from "vitest";
import { summarizeReports } from "./summarize-reports.mjs";

const run = promisify(execFile);
const root = fileURLToPath(new URL("..", import.meta.url));
const fixtures = join(root, "scripts/fixtures/summary-suite");

function file(status: string, tests: string[]) {
  return { status, assertionResults: tests.map((s) => ({ status: s })) };
}

describe("summarizeReports", () => {
  test("counts the tests of a file whose setup hook failed as failed, not skipped", () => {
    const total = summarizeReports([
      { report: { numPassedTests: 0, testResults: [file("failed", ["skipped", "skipped"])] } },
    ]);
    expect(total).toMatchObject({ passed: 0, failed: 2, skipped: 0 });
  });

  test("counts a file that failed to load, with no tests, as one failure", () => {
    const total = summarizeReports([{ report: { numPassedTests: 0, testResults: [file("failed", [])] } }]);
    expect(total.failed).toBe(1);
  });

  test("counts unhandled errors and a missing report as failures", () => {
    const total = summarizeReports([
      { report: { numPassedTests: 1, testResults: [file("passed", ["passed"])] }, unhandledErrors: 2 },
      { problem: "e2e.json missing" },
    ]);
    expect(total).toMatchObject({ passed: 1, failed: 3 });
    expect(total.reasons).toContain("e2e.json missing");
  });

  test("keeps skipped tests of a file with real failures as skipped", () => {
    const total = summarizeReports([
      { report: { numPassedTests: 1, testResults: [file("failed", ["passed", "failed", "skipped"])] } },
    ]);
    expect(total).toMatchObject({ passed: 1, failed: 1, skipped: 1 });
  });
});

describe("the summary line of a real vitest run", () => {
  let out = "";
  afterAll(() => rm(out, { recursive: true, force: true }));

  test("a failing beforeAll, an unhandled error and a failing test all count as failed", async () => {
    out = await mkdtemp(join(tmpdir(), "pancode-summary-"));
    const prefix = join(out, "fixture");
    const vitest = join(root, "node_modules/.bin/vitest");
    await run(
      vitest,
      [
        "run",
        "--config",
        join(fixtures, "vitest.config.mjs"),
        "--reporter=json",
        `--outputFile.json=${prefix}.json`,
        `--reporter=${join(root, "scripts/unhandled-errors-reporter.mjs")}`,
      ],
      { cwd: fixtures },
    ).catch(() => undefined); // the fixture suite fails by design
    const summary = await run("node", [join(root, "scripts/test-summary.mjs"), prefix]).catch((err) => err);
    // plain: 1 passed, 1 failed, 1 skipped; setup-fails: 2 failed; unhandled: 1 passed + 1 unhandled error.
    expect(summary.stdout.trim()).toBe("2 passed, 4 failed, 1 skipped");
    expect(summary.code).toBe(1);
  });

  test("a setup step that died prints a failing line", async () => {
    const summary = await run("node", [join(root, "scripts/test-summary.mjs"), "--setup-failed", "docker"]).catch(
      (err) => err,
    );
    expect(summary.stdout.trim()).toBe("0 passed, 1 failed, 0 skipped");
    expect(summary.code).toBe(1);
  });
});
