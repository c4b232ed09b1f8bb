/**
 * `npm run bench -- --suite <names>`: runs the named suites one after another (see bench/README.md). Each writes
 * `bench/results/<suite>-<timestamp>.json` and a chart next to it. A measurement, not a test: exits 0 whether the
 * targets are met or missed, non-zero only when a suite could not measure.
 */
import { parseSuiteOptions, SUITE_USAGE, type SuiteName, type SuiteOptions } from "./suite-options.js";
import { admissionsSuite } from "./suites/admissions.js";
import { scalingSuite } from "./suites/scaling.js";
import { soakSuite } from "./suites/soak.js";
import { log } from "./suites/suite-result.js";
import { wrappedSuite } from "./suites/wrapped.js";

const RUNNERS: Record<SuiteName, (o: SuiteOptions) => Promise<void>> = {
  dispatch: (o) => wrappedSuite("dispatch", o.dispatchArgs),
  cli: () => wrappedSuite("cli", []),
  proxy: () => wrappedSuite("proxy", []),
  paths: () => wrappedSuite("paths", []),
  uploads: () => wrappedSuite("uploads", []),
  admissions: (o) => admissionsSuite({ admissions: o.admissions, concurrency: o.admissionConcurrency }),
  scaling: (o) => scalingSuite({ runs: o.scalingRuns }),
  soak: (o) => soakSuite({ runs: o.soakRuns, workers: o.soakWorkers }),
};

async function main(): Promise<number> {
  let options: SuiteOptions | "help";
  try {
    options = parseSuiteOptions(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 2;
  }
  if (options === "help") {
    process.stdout.write(SUITE_USAGE);
    return 0;
  }
  const failed: string[] = [];
  for (const suite of options.suites) {
    log(`suite ${suite}`);
    try {
      await RUNNERS[suite](options);
    } catch (err) {
      process.stderr.write(`suite ${suite} could not measure: ${(err as Error).stack ?? String(err)}\n`);
      failed.push(suite);
    }
  }
  if (failed.length > 0) process.stderr.write(`suites that could not measure: ${failed.join(", ")}\n`);
  return failed.length > 0 ? 1 : 0;
}

process.exitCode = await main();
