import { PanCodeError } from "@pancode/core";
import type { ClientApi } from "@pancode/proto";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { loadCliEnv } from "../client/cli-env.js";
import { callTool, oneLine } from "./server.js";
import { defineTool } from "./tool.js";
import { mcpBatchItems } from "./tools/batch-dispatch.js";
import { stopRunTool } from "./tools/stop-run.js";
import { MCP_TOOLS } from "./tools/table.js";

const ctx = { api: {} as ClientApi, env: loadCliEnv({}, "/nowhere") };

describe("the MCP tool table", () => {
  it("serves every tool of the issue, each with a description", () => {
    expect(MCP_TOOLS.map((t) => t.name)).toEqual([
      "dispatch_agent",
      "batch_dispatch",
      "dispatch_chain",
      "list_runs",
      "get_run",
      "stop_run",
      "get_budget",
      "set_budget",
      "list_agents",
      "get_receipt",
      "verify_receipt",
      "audit",
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

describe("batch_dispatch and stop_run arguments", () => {
  it("makes batch items of tasks, or of agents on one target, and refuses the rest", () => {
    expect(mcpBatchItems({ tasks: [{ task: "a" }, { task: "b", agent: "shell" }], agent: "dev" })).toEqual([
      { task: "a", agent: "dev", runId: "", error: "" },
      { task: "b", agent: "shell", runId: "", error: "" },
    ]);
    expect(mcpBatchItems({ agents: ["reviewer", "red-team"], target: "src/auth.ts" })).toEqual([
      { task: "src/auth.ts", agent: "reviewer", runId: "", error: "" },
      { task: "src/auth.ts", agent: "red-team", runId: "", error: "" },
    ]);
    expect(() => mcpBatchItems({})).toThrow(/needs tasks/);
    expect(() => mcpBatchItems({ agents: ["a"] })).toThrow(/exactly one target/);
    expect(() => mcpBatchItems({ tasks: [{ task: " " }] })).toThrow(/task 1 of the batch is empty/);
    expect(() => mcpBatchItems({ tasks: [{ task: "a" }], agent: "dev", team: "t" })).toThrow(/not both/);
  });

  it("stop_run names one thing to stop, before asking the coordinator", async () => {
    expect(await callTool(stopRunTool, { run_id: "abcd", batch_id: "ef01" }, ctx)).toEqual({
      isError: true,
      content: [{ type: "text", text: "name one thing to stop: run_id, batch_id or chain_id" }],
    });
  });
});
