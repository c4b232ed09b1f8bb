import { MAX_MESSAGE_BYTES, type WorkerApi } from "@pancode/proto";
import { noopLogger } from "@pancode/telemetry";
import { describe, expect, it } from "vitest";
import { EventReporter, MAX_BATCH_BYTES, MAX_EVENT_BYTES, truncateText } from "./event-reporter.js";

type Sent = { at: string; kind: string; text: string };

/**
 * A coordinator's ReportEvents as the worker sees it: refuses a request over the gRPC message limit (as grpc-js
 * does, every time), and can be down. Records every accepted batch.
 */
function coordinator() {
  const batches: Sent[][] = [];
  let down = false;
  const api: Pick<WorkerApi, "reportEvents"> = {
    async reportEvents(_lease, events) {
      if (down) throw new Error("14 UNAVAILABLE: connection refused");
      const bytes = events.reduce((sum, e) => sum + Buffer.byteLength(e.text) + e.at.length + e.kind.length, 0);
      if (bytes > MAX_MESSAGE_BYTES) throw new Error(`8 RESOURCE_EXHAUSTED: message of ${bytes} bytes over the limit`);
      batches.push(events.map((e) => ({ ...e })));
      return false;
    },
  };
  return {
    api,
    batches,
    events: () => batches.flat(),
    setDown: (value: boolean) => {
      down = value;
    },
  };
}

function reporter(
  api: Pick<WorkerApi, "reportEvents">,
  limits?: ConstructorParameters<typeof EventReporter>[0]["limits"],
) {
  return new EventReporter({
    api,
    lease: { runId: "r", attempt: 1, leaseToken: "l" },
    // Flushed by hand below; the timer never fires within a test.
    flushMs: 3_600_000,
    logger: noopLogger,
    onStale: () => {},
    limits: { closeRetryMs: 1, ...limits },
  });
}

const MIB = 1024 * 1024;

describe("EventReporter", () => {
  it("sends more than 4 MiB of output in batches under the message limit, in order", async () => {
    const c = coordinator();
    const r = reporter(c.api);
    for (let i = 0; i < 40; i++) r.output("stdout", `${String(i).padStart(3, "0")}${"x".repeat(MAX_EVENT_BYTES / 2)}`);
    await r.close();
    expect(c.batches.length).toBeGreaterThan(1);
    for (const batch of c.batches) {
      expect(batch.reduce((sum, e) => sum + Buffer.byteLength(e.text), 0)).toBeLessThanOrEqual(MAX_BATCH_BYTES);
    }
    expect(c.events().map((e) => e.text.slice(0, 3))).toEqual(
      Array.from({ length: 40 }, (_, i) => String(i).padStart(3, "0")),
    );
  });

  it("truncates a single event over the limit, saying how much was cut", async () => {
    const c = coordinator();
    const r = reporter(c.api);
    r.output("stdout", "y".repeat(5 * MIB));
    await r.close();
    const [event] = c.events();
    expect(Buffer.byteLength(event?.text ?? "")).toBeLessThanOrEqual(MAX_EVENT_BYTES);
    expect(event?.text).toMatch(/\[pancode: event truncated, \d+ of 5242880 bytes cut\]$/);
    expect(truncateText(`${"é".repeat(10)}`, 12)).not.toContain("\uFFFD");
  });

  it("holds at most its bound while the coordinator is down, drops the oldest output, counts it, keeps usage", async () => {
    const c = coordinator();
    const r = reporter(c.api, { pendingBytes: 1 * MIB });
    c.setDown(true);
    for (let i = 0; i < 64; i++) {
      r.output("stdout", `chunk ${i} ${"z".repeat(64 * 1024)}`);
      r.agent({ type: "usage", usage: { input: 1, output: 1, cacheRead: 0, cacheWrite: 0, costUsd: 0.001 } });
      await r.flush();
    }
    expect(r.droppedEvents()).toBeGreaterThan(40);
    c.setDown(false);
    await r.close();
    const events = c.events();
    expect(events[0]?.text).toMatch(/^\[pancode: \d+ output event\(s\), \d+ bytes, were dropped/);
    // Output kept is the newest; every usage report arrived.
    const outputs = events.filter((e) => e.kind === "stdout");
    expect(outputs.at(-1)?.text).toMatch(/^chunk 63 /);
    expect(outputs.length).toBeLessThan(20);
    expect(events.filter((e) => e.kind === "agent")).toHaveLength(64);
  });

  it("retries the final flush, so usage reported at the very end reaches the coordinator", async () => {
    const c = coordinator();
    let failures = 2;
    const flaky: Pick<WorkerApi, "reportEvents"> = {
      reportEvents: (lease, events) =>
        failures-- > 0 ? Promise.reject(new Error("blip")) : c.api.reportEvents(lease, events),
    };
    const r = reporter(flaky);
    r.agent({ type: "usage", usage: { input: 5, output: 6, cacheRead: 0, cacheWrite: 0, costUsd: 0.01 } });
    r.agent({ type: "usage", usage: { input: 1, output: 1, cacheRead: 2, cacheWrite: 0, costUsd: null } });
    await r.close();
    expect(c.events().map((e) => e.kind)).toEqual(["agent", "agent"]);
    // What a run that fails late completes with: the same totals the coordinator folds from these events.
    expect(r.reportedUsage()).toEqual({ input: 6, output: 7, cacheRead: 2, cacheWrite: 0, costUsd: 0.01 });
  });
});
