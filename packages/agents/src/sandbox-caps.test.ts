import { describe, expect, it } from "vitest";
import { BUILTIN_AGENTS } from "./builtin-agents.js";
import { capViolations, DEFAULT_CAPS, homeTmpfsMb, type SandboxCaps } from "./sandbox-caps.js";

const caps: SandboxCaps = { ...DEFAULT_CAPS, cpus: 2 };
const agent = {
  name: "greedy",
  runtime: "command",
  image: "pancode/agent:dev",
  readonly: false,
  timeoutMs: 60_000,
  limits: { memoryMb: 2048, cpus: 1, pids: 512 },
  network: "none" as const,
  model: "",
  tools: [],
  maxTurns: 0,
  prompt: "",
  egress: [],
};

describe("capViolations", () => {
  it("names the field, the asked value, the cap and the variable that raises it", () => {
    const huge = { ...agent, limits: { memoryMb: 9 * 1024 * 1024, cpus: 64, pids: 100_000 }, timeoutMs: 3 * 3_600_000 };
    expect(capViolations(huge, caps)).toEqual([
      'agent "greedy" asks limits.memoryMb 9t, over the cluster maximum 8g (raise PANCODE_MAX_MEMORY to allow it)',
      'agent "greedy" asks limits.cpus 64, over the cluster maximum 2 (raise PANCODE_MAX_CPUS to allow it)',
      'agent "greedy" asks limits.pids 100000, over the cluster maximum 4096 (raise PANCODE_MAX_PIDS to allow it)',
      'agent "greedy" asks timeout 3h, over the cluster maximum 2h (raise PANCODE_MAX_TIMEOUT to allow it)',
    ]);
  });

  it("lets the built-in agents and values at the caps through", () => {
    for (const a of BUILTIN_AGENTS) {
      expect(capViolations({ ...agent, limits: a.limits, timeoutMs: a.timeoutMs }, caps)).toEqual([]);
    }
    const atCaps = { ...agent, limits: { memoryMb: 8192, cpus: 2, pids: 4096 }, timeoutMs: 7_200_000 };
    expect(capViolations(atCaps, caps)).toEqual([]);
  });

  it("gives HOME a tmpfs of the memory limit, never over the tmpfs cap", () => {
    expect(homeTmpfsMb(agent, caps)).toBe(2048);
    expect(homeTmpfsMb({ ...agent, limits: { ...agent.limits, memoryMb: 8192 } }, caps)).toBe(2048);
    expect(homeTmpfsMb({ ...agent, limits: { ...agent.limits, memoryMb: 512 } }, caps)).toBe(512);
  });
});
