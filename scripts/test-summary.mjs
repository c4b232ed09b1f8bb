// Sums vitest JSON reports into the plain line CI reads: `N passed, N failed, N skipped`.
// A report that is missing (vitest crashed before writing it) counts as a failure, so "no tests ran" is visible.
import { readFileSync } from "node:fs";

let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of process.argv.slice(2)) {
  try {
    const report = JSON.parse(readFileSync(file, "utf8"));
    passed += report.numPassedTests;
    failed += report.numFailedTests;
    skipped += report.numPendingTests + (report.numTodoTests ?? 0);
    // A file that fails outside any test (import error, failing beforeAll) reports its tests as skipped or not at
    // all; count each such file as a failure so it cannot pass unnoticed.
    failed += report.testResults.filter(
      (r) => r.status === "failed" && !r.assertionResults.some((a) => a.status === "failed"),
    ).length;
  } catch (err) {
    console.error(`missing or unreadable test report ${file}: ${err.message}`);
    failed += 1;
  }
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
