import { describe, expect, it } from "vitest";
import { DEFAULT_SUITES, DEFAULTS, parseSuiteList, parseSuiteOptions, SUITES } from "./suite-options.js";

describe("parseSuiteOptions", () => {
  it("runs the quick default set when no suite is named", () => {
    const options = parseSuiteOptions([]);
    expect(options).toEqual({ suites: [...DEFAULT_SUITES], ...DEFAULTS, dispatchArgs: [] });
  });

  it("takes a comma-separated list in either flag form, without duplicates", () => {
    expect(parseSuiteOptions(["--suite", "admissions,soak"])).toMatchObject({ suites: ["admissions", "soak"] });
    expect(parseSuiteOptions(["--suite=scaling, scaling ,cli"])).toMatchObject({ suites: ["scaling", "cli"] });
  });

  it("expands all to every suite", () => {
    expect(parseSuiteList("all")).toEqual([...SUITES]);
    expect(parseSuiteList("soak,all")).toEqual([...SUITES]);
  });

  it("names an unknown suite and the known ones", () => {
    expect(() => parseSuiteOptions(["--suite", "dispatch,soke"])).toThrow(/unknown suite "soke": use dispatch, cli/);
    expect(() => parseSuiteOptions(["--suite", ","])).toThrow(/needs at least one name/);
    expect(() => parseSuiteOptions(["--suite"])).toThrow(/needs at least one name/);
  });

  it("reads the sizes and refuses anything but a positive integer", () => {
    const options = parseSuiteOptions(["--soak-runs", "1000", "--soak-workers=4", "--admissions", "300"]);
    expect(options).toMatchObject({ soakRuns: 1000, soakWorkers: 4, admissions: 300 });
    expect(() => parseSuiteOptions(["--soak-runs", "0"])).toThrow('--soak-runs must be a positive integer, got "0"');
    expect(() => parseSuiteOptions(["--scaling-runs", "2.5"])).toThrow(/--scaling-runs must be a positive integer/);
    expect(() => parseSuiteOptions(["--concurrency"])).toThrow(/--concurrency must be a positive integer, got ""/);
  });

  it("passes the dispatch bench's own options through unchanged", () => {
    expect(parseSuiteOptions(["--runs", "30", "--breakdown"])).toMatchObject({
      dispatchArgs: ["--runs", "30", "--breakdown"],
    });
  });

  it("refuses an unknown argument with the usage, and answers --help", () => {
    expect(() => parseSuiteOptions(["--soak"])).toThrow(/unknown argument "--soak"[\s\S]*usage: npm run bench/);
    expect(parseSuiteOptions(["--suite", "soak", "--help"])).toBe("help");
  });
});
