import type { TaskMessage } from "@pancode/core";
import { describe, expect, test } from "vitest";
import { decodeControl, decodeTask, encodeControl, encodeTask } from "./codec.js";

describe("codec", () => {
  test("round-trips a task and a control message", () => {
    const task: TaskMessage = { v: 1, runId: "r", pool: "p", enqueuedAt: "2025-01-01T00:00:00.000Z" };
    expect(decodeTask(encodeTask(task))).toEqual({ ok: true, value: task });
    const control = { type: "cancel" as const, runId: "r", reason: "user" };
    expect(decodeControl(encodeControl(control))).toEqual({ ok: true, value: control });
  });

  test("rejects invalid UTF-8, invalid JSON and schema violations without throwing", () => {
    expect(decodeTask(new Uint8Array([0xc3, 0x28])).ok).toBe(false);
    expect(decodeTask(new TextEncoder().encode("{")).ok).toBe(false);
    expect(decodeTask(new TextEncoder().encode(JSON.stringify({ v: 2, runId: "r", pool: "p" }))).ok).toBe(false);
    expect(decodeControl(new TextEncoder().encode(JSON.stringify({ type: "pause", runId: "r" }))).ok).toBe(false);
  });
});
