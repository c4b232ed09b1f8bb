import { describe, expect, it } from "vitest";
import { agentGate } from "./agent-gate.js";
import { context, fakeDeps } from "./fixtures/gate-fixtures.js";

describe("agent gate", () => {
  it("refuses an unknown agent, naming broken repository agent files", () => {
    const ctx = context({ agent: "nobody" });
    ctx.fileWarnings = [".pancode/agents/nobody.md: no front matter"];
    expect(() => agentGate.check(ctx, fakeDeps())).toThrow(/agent files with errors: .*nobody\.md/);
  });

  it("gives the agent the dispatch's timeout and refuses one over the cluster's caps", () => {
    const ctx = context({ timeoutMs: 5000 });
    agentGate.check(ctx, fakeDeps());
    expect(ctx.agent?.timeoutMs).toBe(5000);
    const caps = { memoryMb: 1, cpus: 8, pids: 1024, timeoutMs: 3_600_000 };
    expect(() => agentGate.check(context(), { ...fakeDeps(), caps } as never)).toThrow(/^Dispatch blocked: /);
  });

  it("resolves a model only for runtimes that need one", () => {
    const shell = context({ agent: "shell" });
    agentGate.check(shell, fakeDeps());
    expect(shell.model).toBeNull();
    const dev = context({ agent: "dev", model: "m1" });
    agentGate.check(dev, fakeDeps());
    expect(dev.model?.id).toBe("m1");
  });
});
