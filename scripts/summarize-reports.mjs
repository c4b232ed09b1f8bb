// Sums vitest reports into the counts of CI's last line. Kept apart from the CLI wrapper so it has a unit test.
//
// Honest counting: vitest's JSON marks the tests of a file whose `beforeAll` threw as skipped, and a file that
// failed to load as failed with no tests; an unhandled error fails the run but no test. Each of those counts as
// failures here, so a broken setup can never read as "0 failed".

/** @typedef {{ status: string, assertionResults: { status: string }[] }} FileResult */

/**
 * @param {{ report?: { numPassedTests: number, numTodoTests?: number, testResults: FileResult[] },
 *   unhandledErrors?: number, problem?: string }[]} runs one entry per vitest invocation; `problem` when its
 *   report is missing or unreadable.
 * @returns {{ passed: number, failed: number, skipped: number, reasons: string[] }}
 */
export function summarizeReports(runs) {
  const total = { passed: 0, failed: 0, skipped: 0, reasons: [] };
  for (const run of runs) {
    if (!run.report) {
      total.failed += 1;
      total.reasons.push(run.problem ?? "a test run wrote no report");
      continue;
    }
    if (run.problem) total.reasons.push(run.problem);
    for (const file of run.report.testResults) addFile(total, file);
    const unhandled = run.unhandledErrors ?? 0;
    if (unhandled > 0) {
      total.failed += unhandled;
      total.reasons.push(`${unhandled} unhandled error(s) outside any test`);
    }
  }
  return total;
}

/** @param {ReturnType<typeof summarizeReports>} total @param {FileResult & { name?: string }} file */
function addFile(total, file) {
  const tests = file.assertionResults;
  const failedTests = tests.filter((t) => t.status === "failed").length;
  const passedTests = tests.filter((t) => t.status === "passed").length;
  const notRun = tests.length - failedTests - passedTests;
  total.passed += passedTests;
  total.failed += failedTests;
  if (file.status !== "failed" || failedTests > 0) {
    total.skipped += notRun;
    return;
  }
  // The file failed outside its tests (import error, failing hook): every test it did not run failed with it.
  total.failed += Math.max(notRun, 1);
  total.reasons.push(`${file.name ?? "a test file"} failed outside its tests (setup hook or import)`);
}

/** The plain line CI reads. */
export function summaryLine({ passed, failed, skipped }) {
  return `${passed} passed, ${failed} failed, ${skipped} skipped`;
}
