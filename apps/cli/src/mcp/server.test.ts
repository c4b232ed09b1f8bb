import { PanCodeError } from "@pancode/core";
import type { ClientApi } from "@pancode/proto";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { parseTimeout } from "../commands/dispatch.js";
import { callTool, oneLine } from "./server.js";
import { defineTool } from "./tool.js";
import { MCP_TOOLS } from "./tools/table.js";

const ctx = { api: {} as ClientApi, cwd: "/nowhere" };

describe("the MCP tool table", () => {
  it("serves every tool of the issue that has its RPC, each with a description", () => {
    expect(MCP_TOOLS.map((t) => t.name)).toEqual([
      "dispatch_agent",
      "list_runs",
      "get_run",
      "get_budget",
      "set_budget",
      "list_agents",
      "get_receipt",
      "verify_receipt",
    ]);
    for (const tool of MCP_TOOLS) expect(tool.description.length).toBeGreaterThan(20);
  });

  it("turns a result into JSON text and any error into a tool error with its first line only", async () => {
    const ok = defineTool({
      name: "ok",
      description: "",
      input: { n: z.number() },
      run: async (a) => ({ twice: a.n * 2 }),
    });
    expect(await callTool(ok, { n: 2 }, ctx)).toEqual({ content: [{ type: "text", text: '{\n  "twice": 4\n}' }] });
    const failing = defineTool({
      name: "failing",
      description: "",
      input: {},
      run: async () => {
        throw new PanCodeError("BUDGET_EXCEEDED", "Dispatch blocked: budget exhausted\n    at somewhere (file.ts:1:1)");
      },
    });
    expect(await callTool(failing, {}, ctx)).toEqual({
      isError: true,
      content: [{ type: "text", text: "Dispatch blocked: budget exhausted" }],
    });
    expect(oneLine("plain")).toBe("plain");
  });
});

describe("--timeout", () => {
  it("takes durations with a unit or plain milliseconds, and refuses the rest", () => {
    expect(parseTimeout(undefined)).toBe(0);
    expect(parseTimeout("90s")).toBe(90_000);
    expect(parseTimeout("5m")).toBe(300_000);
    expect(parseTimeout("1500")).toBe(1500);
    for (const bad of ["0", "-1s", "soon", ""]) expect(() => parseTimeout(bad), bad).toThrow(/--timeout must be/);
  });
});
