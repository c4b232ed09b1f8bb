import { AgentSpec, createAgentRegistry, getRuntime } from "@pancode/agents";
import { describe, expect, it } from "vitest";

describe("agent registry", () => {
  const registry = createAgentRegistry({ defaultImage: "pancode/agent:dev" });

  it("resolves the built-in shell agent onto the default image", () => {
    const agent = registry.resolve("shell");
    expect(agent).toMatchObject({ name: "shell", runtime: "command", image: "pancode/agent:dev", network: "none" });
    expect(getRuntime(agent.runtime).buildInvocation({ task: "echo hi", agent }).argv).toEqual(["sh", "-c", "echo hi"]);
  });

  it("names the available agents when one is unknown", () => {
    expect(() => registry.resolve("nope")).toThrow(/unknown agent "nope"; available agents: shell/);
  });

  it("lets a later spec of the same name replace the built-in one", () => {
    const custom = AgentSpec.parse({ name: "shell", runtime: "command", image: "mine:1", source: "cluster" });
    expect(createAgentRegistry({ defaultImage: "x", extra: [custom] }).resolve("shell").image).toBe("mine:1");
  });

  it("refuses unknown runtimes by name", () => {
    expect(() => getRuntime("warp")).toThrow(/unknown runtime "warp"; known runtimes: command/);
  });
});
