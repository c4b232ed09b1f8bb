import { BUILTIN_AGENTS } from "@pancode/agents";
import type { ResolvedAgent } from "@pancode/core";
import { describe, expect, it } from "vitest";
import {
  beyondSandbox,
  checkScope,
  parseSafetyLevel,
  requiredSafetyLevel,
  SAFETY_LEVELS,
  weakerLevel,
} from "./safety-scope.js";

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
    egress: [],
    ...fields,
  };
}

describe("requiredSafetyLevel", () => {
  it.each([
    ["read-only model agent", agent({ readonly: true, tools: ["read", "grep"] }), "suggest"],
    ["read-only agent with bash (read-only mount)", agent({ readonly: true, tools: ["read", "bash"] }), "suggest"],
    [
      "read-only command agent without network",
      agent({ readonly: true, runtime: "command", network: "none" }),
      "suggest",
    ],
    ["read-only command agent with open egress", agent({ readonly: true, runtime: "command" }), "full-auto"],
    ["read-only model agent on host networking", agent({ readonly: true, network: "host" }), "full-auto"],
    ["file-editing model agent", agent({}), "auto-edit"],
    ["file-editing agent without network", agent({ network: "none" }), "auto-edit"],
    ["agent with bash (the default dev)", agent({ tools: ["read", "edit", "bash"] }), "auto-edit"],
    ["agent with a shell tool of another CLI", agent({ tools: ["Shell"] }), "auto-edit"],
    ["agent with the runtime's default tools", agent({ tools: [] }), "auto-edit"],
    ["command runtime, no network (the shell agent)", agent({ runtime: "command", network: "none" }), "auto-edit"],
    ["command runtime with bridge network", agent({ runtime: "command", network: "bridge" }), "full-auto"],
    ["command runtime with host network", agent({ runtime: "command", network: "host" }), "full-auto"],
    ["model agent with bash on host networking", agent({ tools: ["bash"], network: "host" }), "full-auto"],
  ])("%s needs %s", (_name, a, level) => {
    expect(requiredSafetyLevel(a)).toBe(level);
  });

  it("admits the built-in fleet at the default level: dev, builder, documenter and shell", () => {
    for (const spec of BUILTIN_AGENTS) {
      const resolved = agent({ ...spec, image: "x" });
      expect([spec.name, requiredSafetyLevel(resolved)]).toEqual([spec.name, spec.readonly ? "suggest" : "auto-edit"]);
    }
  });
});

describe("beyondSandbox", () => {
  it("names why an agent leaves its sandbox", () => {
    expect(beyondSandbox(agent({ network: "host" }))).toBe("it uses host networking");
    expect(beyondSandbox(agent({ runtime: "command", network: "bridge" }))).toMatch(/bridge network is open egress/);
    expect(beyondSandbox(agent({ tools: [] }))).toBeUndefined();
  });
});

describe("checkScope", () => {
  const needs = {
    suggest: agent({ readonly: true }),
    "auto-edit": agent({ tools: ["bash"] }),
    "full-auto": agent({ network: "host" }),
  };
  it.each(SAFETY_LEVELS.flatMap((session) => SAFETY_LEVELS.map((needed) => [session, needed] as const)))(
    "session %s, agent needing %s",
    (session, needed) => {
      const admitted = SAFETY_LEVELS.indexOf(needed) <= SAFETY_LEVELS.indexOf(session);
      const run = () => checkScope({ ...needs[needed], name: "x" }, session);
      if (admitted) expect(run).not.toThrow();
      else {
        expect(run).toThrow(
          `Dispatch blocked: agent "x" needs safety level ${needed}, but the session allows ${session} (`,
        );
      }
    },
  );

  it("says why in the refusal", () => {
    expect(() => checkScope(agent({ name: "net", network: "host" }), "auto-edit")).toThrow(
      'Dispatch blocked: agent "net" needs safety level full-auto, but the session allows auto-edit (it uses host networking).',
    );
    expect(() => checkScope(agent({ name: "dev" }), "suggest")).toThrow(/\(it changes files in its workspace\)/);
  });
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
