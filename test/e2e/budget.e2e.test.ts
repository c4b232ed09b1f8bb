import { type Cluster, startCluster } from "@pancode/testing/cluster";
import { createRepo, type FixtureRepo } from "@pancode/testing/git";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// `pancode budget` against a real coordinator process. No worker is needed: the budget gate comes before routing.

let cluster: Cluster;
let repo: FixtureRepo;

beforeAll(async () => {
  cluster = await startCluster({
    workers: 0,
    postgres: false,
    coordinatorEnv: { PANCODE_BUDGET_CEILING: "0.50", PANCODE_PER_RUN_BUDGET: "0.30", PANCODE_DEFAULT_AGENT: "shell" },
  });
  repo = await createRepo({ files: { "a.txt": "foo\n" } });
});

afterAll(async () => {
  await repo?.cleanup();
  await cluster?.stop();
});

describe("pancode budget", () => {
  it("shows the budget, sets the ceiling, and a dispatch over it exits 4 with the exact message", async () => {
    const shown = await cluster.cli(["budget", "--json"], { cwd: repo.dir });
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toEqual({
      ceilingUsd: 0.5,
      spentUsd: 0,
      reservedUsd: 0,
      remainingUsd: 0.5,
      estimatedNextUsd: 0.3,
      runs: 0,
      tokens: 0,
      inputTokens: 0,
      outputTokens: 0,
      team: "",
    });
    const text = await cluster.cli(["budget"], { cwd: repo.dir });
    expect(text.stdout).toMatch(/^ceiling: +\$0\.50$/m);
    expect(text.stdout).toMatch(/^estimated next: +\$0\.30$/m);

    for (const bad of ["0", "abc", "-1"]) {
      const refused = await cluster.cli(["budget", "set", "--", bad], { cwd: repo.dir });
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/budget ceiling must be a positive amount/);
    }
    const set = await cluster.cli(["budget", "set", "0.20", "--json"], { cwd: repo.dir });
    expect(set.code).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({ ceilingUsd: 0.2, remainingUsd: 0.2 });

    const dispatched = await cluster.cli(["dispatch", "true", "--agent", "shell"], { cwd: repo.dir });
    expect(dispatched.code).toBe(4);
    expect(dispatched.stderr).toContain(
      "Dispatch blocked: Budget ceiling would be exceeded (spent: $0.00, estimated next: $0.30, ceiling: $0.20)",
    );
  });
});
