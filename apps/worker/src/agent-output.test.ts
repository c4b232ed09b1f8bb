import { createPiParser } from "@pancode/agents";
import type { AgentEvent } from "@pancode/core";
import { describe, expect, it } from "vitest";
import { AgentOutput } from "./agent-output.js";

function sink() {
  const events: AgentEvent[] = [];
  const raw: string[] = [];
  return {
    events,
    raw,
    output: (_s: "stdout" | "stderr", t: string) => raw.push(t),
    agent: (e: AgentEvent) => events.push(e),
  };
}

const message = (stopReason: string, usage: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  `${JSON.stringify({ type: "message_end", message: { role: "assistant", content: [{ type: "text", text: "t" }], stopReason, usage, ...extra } })}\n`;

describe("AgentOutput", () => {
  it("splits lines across chunks, prices unpriced usage from the cluster table and totals it", () => {
    const s = sink();
    const out = new AgentOutput(s, createPiParser(), { input: 1, output: 2, cacheRead: 0.1, cacheWrite: 0 });
    const line = message("stop", { input: 1000, output: 100, cacheRead: 500 });
    out.push("stdout", line.slice(0, 20));
    out.push("stdout", line.slice(20));
    out.push("stderr", "a warning\n");
    out.finish();
    // (1000*1 + 100*2 + 500*0.1) / 1e6
    expect(out.usage().costUsd).toBeCloseTo(0.00125, 12);
    expect(s.raw).toEqual(["a warning\n"]);
    expect(out.failure()).toBe("");
  });

  it("reports the agent's own failure unless it recovered afterwards", () => {
    const failed = new AgentOutput(sink(), createPiParser());
    failed.push("stdout", message("error", { input: 1, output: 0 }, { errorMessage: "404 model not found" }));
    expect(failed.failure()).toBe("404 model not found");

    const recovered = new AgentOutput(sink(), createPiParser());
    recovered.push("stdout", message("error", { input: 1, output: 0 }, { errorMessage: "429 slow down" }));
    recovered.push("stdout", message("stop", { input: 1, output: 1 }));
    expect(recovered.failure()).toBe("");
  });
});
