import { describe, expect, it } from "vitest";
import { UsageError } from "../client/exit-codes.js";
import { batchItems, parseTasksFile } from "./batch.js";
import { parseChainFile, parseStep } from "./chain.js";

describe("batch arguments", () => {
  it("reads tasks files as strings or {task, agent}", () => {
    expect(parseTasksFile("- echo a\n- task: review\n  agent: reviewer\n", "t.yaml")).toEqual([
      { task: "echo a", agent: "" },
      { task: "review", agent: "reviewer" },
    ]);
    expect(parseTasksFile("tasks:\n  - x\n", "t.yaml")).toEqual([{ task: "x", agent: "" }]);
    expect(() => parseTasksFile("- agent: a\n", "t.yaml")).toThrow(UsageError);
  });

  it("turns --agents and one target into one item per agent", async () => {
    expect(await batchItems("src/auth.ts", { agents: "reviewer, red-team" })).toEqual([
      { task: "src/auth.ts", agent: "reviewer", runId: "", error: "" },
      { task: "src/auth.ts", agent: "red-team", runId: "", error: "" },
    ]);
    await expect(batchItems(undefined, {})).rejects.toThrow(/needs tasks/);
  });
});

describe("chain arguments", () => {
  it("splits agent:task at the first colon", () => {
    expect(parseStep('planner:Analyze: the "auth" module')).toEqual({
      agent: "planner",
      task: 'Analyze: the "auth" module',
    });
    expect(() => parseStep("no agent here")).toThrow(UsageError);
    expect(() => parseStep("builder:")).toThrow(UsageError);
  });

  it("reads chain files", () => {
    expect(parseChainFile("task: fix auth\nsteps:\n  - agent: planner\n    task: plan $ORIGINAL\n", "c.yaml")).toEqual({
      steps: [{ agent: "planner", task: "plan $ORIGINAL" }],
      original: "fix auth",
    });
  });
});
