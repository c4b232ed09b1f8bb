import { describe, expect, it } from "vitest";
import { context, fakeDeps } from "./fixtures/gate-fixtures.js";
import { repositoryFiles } from "./repository-files.js";

const AGENT_FILE = `---
name: linter
runtime: command
network: none
---
run the linter
`;

describe("repository files", () => {
  it("adds the repository's agents for this dispatch only", () => {
    const deps = fakeDeps();
    const ctx = context({ agent: "linter", agentFiles: [{ path: ".pancode/agents/linter.md", content: AGENT_FILE }] });
    repositoryFiles.check(ctx, deps);
    expect(ctx.agents.get("linter")?.source).toBe("repo");
    expect(deps.agents.get("linter")).toBeUndefined();
    expect(ctx.warnings).toEqual([]);
  });

  it("turns a broken file into a warning, not a refusal", () => {
    const ctx = context({ agentFiles: [{ path: ".pancode/agents/bad.md", content: "no front matter" }] });
    repositoryFiles.check(ctx, fakeDeps());
    expect(ctx.fileWarnings).toHaveLength(1);
    expect(ctx.warnings).toEqual(ctx.fileWarnings);
  });
});
