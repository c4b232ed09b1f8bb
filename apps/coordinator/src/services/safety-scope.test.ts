import type { ResolvedAgent } from "@pancode/core";
import { describe, expect, it } from "vitest";
import { checkScope, parseSafetyLevel, requiredSafetyLevel, SAFETY_LEVELS, weakerLevel } from "./safety-scope.js";

function agent(fields: Partial<ResolvedAgent>): ResolvedAgent {
  return {
    name: "a",
    runtime: "pi",
    image: "pancode/agent:dev",
    readonly: false,
    timeoutMs: 60_000,
    limits: { memoryMb: 512, cpus: 1, pids: 256 },
    network: "bridge",
    model: "",
    tools: ["read", "edit", "write"],
    maxTurns: 0,
    prompt: "",
    ...fields,
  };
}

describe("requiredSafetyLevel", () => {
  it.each([
    ["read-only model agent", agent({ readonly: true, tools: ["read", "grep"] }), "suggest"],
    ["read-only agent with bash (read-only mount)", agent({ readonly: true, tools: ["read", "bash"] }), "suggest"],
    ["read-only command agent", agent({ readonly: true, runtime: "command", network: "none" }), "suggest"],
    ["file-editing model agent", agent({}), "auto-edit"],
    ["file-editing agent without network", agent({ network: "none" }), "auto-edit"],
    ["agent with bash", agent({ tools: ["read", "edit", "bash"] }), "full-auto"],
    ["agent with a shell tool of another CLI", agent({ tools: ["Shell"] }), "full-auto"],
    ["agent with the runtime's default tools", agent({ tools: [] }), "full-auto"],
    ["command runtime, no network", agent({ runtime: "command", network: "none" }), "full-auto"],
    ["command runtime with network", agent({ runtime: "command", network: "host" }), "full-auto"],
  ])("%s needs %s", (_name, a, level) => {
    expect(requiredSafetyLevel(a)).toBe(level);
  });
});

describe("checkScope", () => {
  const needs = { suggest: agent({ readonly: true }), "auto-edit": agent({}), "full-auto": agent({ tools: [] }) };
  it.each(SAFETY_LEVELS.flatMap((session) => SAFETY_LEVELS.map((needed) => [session, needed] as const)))(
    "session %s, agent needing %s",
    (session, needed) => {
      const admitted = SAFETY_LEVELS.indexOf(needed) <= SAFETY_LEVELS.indexOf(session);
      const run = () => checkScope({ ...needs[needed], name: "x" }, session);
      if (admitted) expect(run).not.toThrow();
      else {
        expect(run).toThrow(
          `Dispatch blocked: agent "x" needs safety level ${needed}, but the session allows ${session}.`,
        );
      }
    },
  );
});

describe("levels", () => {
  it("parses the three levels and refuses anything else", () => {
    expect(parseSafetyLevel("full-auto")).toBe("full-auto");
    expect(() => parseSafetyLevel("yolo")).toThrow(
      /unknown safety level "yolo"; use one of: suggest, auto-edit, full-auto/,
    );
  });

  it("caps at the weaker level", () => {
    expect(weakerLevel("full-auto", "suggest")).toBe("suggest");
    expect(weakerLevel("auto-edit", "full-auto")).toBe("auto-edit");
  });
});
