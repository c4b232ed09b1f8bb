import { PanCodeError, silentLogger, type TaskMessage } from "@pancode/core";
import { describe, expect, test } from "vitest";
import { encodeTask } from "./codec.js";
import { type RawDelivery, runDelivery } from "./run-delivery.js";
import type { TaskDelivery } from "./types.js";

const options = { ackWaitMs: 30_000, maxDeliver: 3, retryDelayMs: 5_000, logger: silentLogger };
const task: TaskMessage = { v: 1, runId: "run-1", pool: "gpu", enqueuedAt: "2025-01-01T00:00:00.000Z" };

/** A RawDelivery that records every settle call. */
function fakeRaw(payload: Uint8Array, deliveryCount = 1, failAck = 0) {
  const calls: string[] = [];
  let ackFailures = failAck;
  const raw: RawDelivery = {
    seq: 7,
    payload,
    headers: { traceparent: "tp" },
    deliveryCount,
    ack: async () => {
      calls.push("ack");
      if (ackFailures-- > 0) throw new PanCodeError("UNAVAILABLE", "ack lost", { retryable: true });
    },
    nak: async (delayMs) => void calls.push(`nak:${delayMs ?? 0}`),
    term: async () => void calls.push("term"),
    working: async () => void calls.push("working"),
  };
  return { raw, calls };
}

describe("runDelivery", () => {
  test("terminates undecodable bytes and a task for another pool without calling the handler", async () => {
    for (const payload of [new Uint8Array([0xff]), encodeTask({ ...task, pool: "cpu" })]) {
      const { raw, calls } = fakeRaw(payload);
      let called = false;
      const handler = async (): Promise<void> => {
        called = true;
      };
      await runDelivery(raw, handler, { pool: "gpu", options });
      expect(called).toBe(false);
      expect(calls).toEqual(["term"]);
    }
  });

  test("hands the decoded task, headers and delivery count to the handler", async () => {
    const { raw, calls } = fakeRaw(encodeTask(task), 2);
    let seen: TaskDelivery | undefined;
    await runDelivery(
      raw,
      async (d) => {
        seen = d;
        await d.working();
        await d.ack();
        await d.ack(); // settling twice is a no-op
        await d.nak();
      },
      { pool: "gpu", options },
    );
    expect(seen?.task).toEqual(task);
    expect(seen?.headers).toEqual({ traceparent: "tp" });
    expect(seen?.deliveryCount).toBe(2);
    expect(calls).toEqual(["working", "ack"]);
  });

  test("naks a retryable failure with the retry delay", async () => {
    const { raw, calls } = fakeRaw(encodeTask(task));
    await runDelivery(
      raw,
      async () => {
        throw new Error("boom");
      },
      { pool: "gpu", options },
    );
    expect(calls).toEqual(["nak:5000"]);
  });

  test("terminates a non-retryable PanCodeError and any failure on the last delivery", async () => {
    const fatal = fakeRaw(encodeTask(task));
    await runDelivery(
      fatal.raw,
      async () => {
        throw new PanCodeError("SANDBOX_FAILED", "image missing");
      },
      { pool: "gpu", options },
    );
    expect(fatal.calls).toEqual(["term"]);

    const last = fakeRaw(encodeTask(task), 3);
    await runDelivery(
      last.raw,
      async () => {
        throw new PanCodeError("UNAVAILABLE", "coordinator down", { retryable: true });
      },
      { pool: "gpu", options },
    );
    expect(last.calls).toEqual(["term"]);
  });

  test("an ack the transport lost can be retried, and a throw after settling changes nothing", async () => {
    const { raw, calls } = fakeRaw(encodeTask(task), 1, 1);
    await runDelivery(
      raw,
      async (d) => {
        await expect(d.ack()).rejects.toMatchObject({ code: "UNAVAILABLE" });
        await d.ack();
        throw new Error("late failure");
      },
      { pool: "gpu", options },
    );
    expect(calls).toEqual(["ack", "ack"]);
  });
});
