// Prints CI's last line, `N passed, N failed, N skipped`, from vitest reports.
// Usage: node scripts/test-summary.mjs <run>... where each <run> is the prefix of a vitest invocation's files:
// <run>.json (the JSON report) and <run>.unhandled.json (written by unhandled-errors-reporter.mjs).
// `--setup-failed "<what>"` prints the line for a run whose setup died before any test could start.
import { readFileSync } from "node:fs";
import { summarizeReports, summaryLine } from "./summarize-reports.mjs";

function readJson(path) {
  return JSON.parse(readFileSync(path, "utf8"));
}

function loadRun(prefix) {
  let report;
  try {
    report = readJson(`${prefix}.json`);
  } catch (err) {
    return { problem: `missing or unreadable test report ${prefix}.json: ${err.message}` };
  }
  try {
    return { report, unhandledErrors: readJson(`${prefix}.unhandled.json`).unhandledErrors };
  } catch (err) {
    // The reporter writes its file at the very end; without it the run ended abnormally.
    return { report, unhandledErrors: 1, problem: `${prefix}.unhandled.json: ${err.message}` };
  }
}

const args = process.argv.slice(2);
if (args[0] === "--setup-failed") {
  console.error(`test setup failed: ${args[1] ?? "unknown step"}; no test ran`);
  console.log(summaryLine({ passed: 0, failed: 1, skipped: 0 }));
  process.exit(1);
}
const total = summarizeReports(args.map(loadRun));
for (const reason of total.reasons) console.error(`counted as failed: ${reason}`);
console.log(summaryLine(total));
process.exit(total.failed > 0 || total.passed === 0 ? 1 : 0);
