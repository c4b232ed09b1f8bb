import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PanCodeError } from "@pancode/core";
import type { CompleteRunRequest, ReportedEvent, WorkerApi } from "@pancode/proto";
import { createLogger } from "@pancode/telemetry";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Outbox, type OutboxEntry } from "./outbox.js";
import { OutboxSender } from "./outbox-sender.js";

function sampleEntry(runId = "run-1", attempt = 1, patch: Buffer | null = Buffer.from("diff --git a b\n")) {
  const completion = {
    status: "done",
    hasExitCode: true,
    exitCode: 0,
    error: "",
    outputTail: "ok",
    startedAt: "2026-01-01T00:00:00.000Z",
    finishedAt: "2026-01-01T00:00:05.000Z",
    costUsd: 0.01,
    patch: patch ? { digest: "sha256:abc", bytes: patch.length, files: [] } : undefined,
    imageDigest: "sha256:img",
    receiptEnvelope: "{}",
    inputTokens: 10,
    outputTokens: 5,
  };
  const entry: OutboxEntry = {
    outcome: {
      version: 1,
      runId,
      attempt,
      leaseToken: "lease-secret",
      workerId: "w1",
      recordedAt: new Date().toISOString(),
      events: [{ at: "2026-01-01T00:00:04.000Z", kind: "stdout", text: "last words" }],
      completion,
      refusedPatchCompletion: { ...completion, status: "error", patch: undefined },
    },
    patch,
  };
  return entry;
}

let dataDir: string;
let lines: string[];
let outbox: Outbox;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "pancode-outbox-"));
  lines = [];
  outbox = new Outbox(dataDir, createLogger({ write: (line) => lines.push(line) }));
});

afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe("Outbox", () => {
  it("stores an outcome owner-only and reads it back, patch bytes included", async () => {
    const entry = sampleEntry();
    await outbox.put(entry);
    const dir = join(dataDir, "outbox", "run-1-1");
    expect((await stat(join(dataDir, "outbox"))).mode & 0o777).toBe(0o700);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(join(dir, "outcome.json"))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, "patch.diff"))).mode & 0o777).toBe(0o600);
    const [read, ...rest] = await outbox.scan();
    expect(rest).toEqual([]);
    expect(read?.outcome).toEqual(entry.outcome);
    expect(read?.patch?.equals(entry.patch ?? Buffer.alloc(0))).toBe(true);
  });

  it("keeps no patch file for a run without a patch, and removes an entry once delivered", async () => {
    await outbox.put(sampleEntry("run-2", 3, null));
    expect(await readdir(join(dataDir, "outbox", "run-2-3"))).toEqual(["outcome.json"]);
    const [read] = await outbox.scan();
    expect(read?.patch).toBeNull();
    await outbox.remove({ runId: "run-2", attempt: 3 });
    expect(await outbox.scan()).toEqual([]);
  });

  it("rewrites an entry's outcome in place (events delivered) without losing the patch", async () => {
    const entry = sampleEntry();
    await outbox.put(entry);
    await outbox.update({ ...entry.outcome, events: [] });
    const [read] = await outbox.scan();
    expect(read?.outcome.events).toEqual([]);
    expect(read?.patch?.length).toBe(entry.patch?.length);
    expect(await readdir(join(dataDir, "outbox", "run-1-1"))).toEqual(["outcome.json", "patch.diff"]);
  });

  it("never shows a half-written entry: leftovers of an interrupted write are removed on scan", async () => {
    // What a crash between mkdir and rename leaves: a temporary directory with a partial outcome.
    const temp = join(dataDir, "outbox", ".tmp-run-9-1-dead");
    await mkdir(temp, { recursive: true });
    await writeFile(join(temp, "outcome.json"), '{"version":1,"runId":"run-9"');
    await outbox.put(sampleEntry());
    expect((await outbox.scan()).map((e) => e.outcome.runId)).toEqual(["run-1"]);
    expect(await readdir(join(dataDir, "outbox"))).toEqual(["run-1-1"]);
  });

  it("quarantines corrupt entries with a log line and still returns the good ones", async () => {
    await outbox.put(sampleEntry("good", 1));
    await outbox.put(sampleEntry("truncated", 1));
    await outbox.put(sampleEntry("no-patch", 1));
    await outbox.put(sampleEntry("renamed", 1));
    const root = join(dataDir, "outbox");
    await writeFile(join(root, "truncated-1", "outcome.json"), '{"version":1,"runId":"trunc');
    await rm(join(root, "no-patch-1", "patch.diff"));
    await mkdir(join(root, "other-2"));
    await writeFile(join(root, "other-2", "outcome.json"), await readFile(join(root, "renamed-1", "outcome.json")));
    await rm(join(root, "renamed-1"), { recursive: true });
    await mkdir(join(root, "empty-1"));

    const entries = await outbox.scan();
    expect(entries.map((e) => e.outcome.runId)).toEqual(["good"]);
    const quarantined = (await readdir(join(root, "quarantine"))).map((n) => n.replace(/-\d+$/, "")).sort();
    expect(quarantined).toEqual(["empty-1", "no-patch-1", "other-2", "truncated-1"]);
    const logged = lines
      .map((l) => JSON.parse(l))
      .filter((l) => l.msg === "outbox entry quarantined; its run is not delivered from here");
    expect(logged.map((l) => l.entry).sort()).toEqual(["empty-1", "no-patch-1", "other-2", "truncated-1"]);
    expect(await readdir(root)).toEqual(expect.arrayContaining(["good-1", "quarantine"]));
    // A second scan finds the same good entry and leaves the quarantine alone.
    expect((await outbox.scan()).map((e) => e.outcome.runId)).toEqual(["good"]);
  });

  it("an empty or missing outbox is nothing to deliver", async () => {
    expect(await outbox.scan()).toEqual([]);
  });
});

/**
 * The coordinator as the sender sees it: can be away (UNAVAILABLE) for the next `outage` calls, can answer that the
 * attempt is superseded, can refuse the patch for good. Records what it took, in order.
 */
function coordinator(options: { outage?: number; superseded?: boolean; refusePatch?: boolean } = {}) {
  let outage = options.outage ?? 0;
  const calls: string[] = [];
  const events: ReportedEvent[] = [];
  const completions: CompleteRunRequest[] = [];
  const away = (call: string) => {
    calls.push(call);
    if (outage > 0) {
      outage -= 1;
      throw new PanCodeError("UNAVAILABLE", "coordinator unreachable at 127.0.0.1:7400");
    }
  };
  const api: Pick<WorkerApi, "reportEvents" | "uploadPatch" | "completeRun"> = {
    async reportEvents(_lease, batch) {
      away("events");
      events.push(...batch);
      return false;
    },
    async uploadPatch(_lease, patch) {
      away("patch");
      if (options.refusePatch) throw new PanCodeError("INVALID_ARGUMENT", "patch of 9 GiB exceeds the limit");
      return { digest: "sha256:abc", size: patch.length };
    },
    async completeRun(request) {
      away("complete");
      if (options.superseded) throw new PanCodeError("STALE_ATTEMPT", "superseded: attempt 1 was replaced");
      completions.push(request);
      return { accepted: true, reason: "", receiptId: "rcpt" };
    },
  };
  return { api, calls, events, completions };
}

function senderFor(api: Pick<WorkerApi, "reportEvents" | "uploadPatch" | "completeRun">) {
  return new OutboxSender({
    api,
    outbox,
    workerId: "w1",
    logger: createLogger({ write: (line) => lines.push(line) }),
    backoff: { baseMs: 1, capMs: 4 },
  });
}

describe("OutboxSender", () => {
  it("delivers events, patch and completion across an outage, then removes the entry", async () => {
    const c = coordinator({ outage: 4 });
    const entry = sampleEntry();
    const recorded = entry.outcome.events;
    await outbox.put(entry);
    const sender = senderFor(c.api);
    const delivery = sender.deliver(entry);
    expect(sender.held()).toEqual(["run-1"]);
    expect(await delivery).toBe("delivered");
    expect(c.calls.filter((call) => call !== "events").slice(-2)).toEqual(["patch", "complete"]);
    // Events once, before the completion, even though the outage interrupted the sequence.
    expect(c.events).toEqual(recorded);
    expect(c.completions).toHaveLength(1);
    expect(c.completions[0]).toMatchObject({
      status: "done",
      lease: { runId: "run-1", attempt: 1, leaseToken: "lease-secret" },
    });
    expect(await outbox.scan()).toEqual([]);
    expect(sender.held()).toEqual([]);
    expect(lines.filter((l) => l.includes("outcome kept in the outbox, retrying"))).toHaveLength(4);
  });

  it("drops the outcome, with a log line, when the coordinator says a newer attempt took over", async () => {
    const c = coordinator({ superseded: true });
    await outbox.put(sampleEntry());
    expect(await senderFor(c.api).deliver(sampleEntry())).toBe("dropped");
    expect(await outbox.scan()).toEqual([]);
    expect(lines.some((l) => l.includes("outcome dropped") && l.includes("superseded"))).toBe(true);
  });

  it("ends the run error with the pre-signed completion when the coordinator refuses the patch for good", async () => {
    const c = coordinator({ refusePatch: true });
    const entry = sampleEntry();
    await outbox.put(entry);
    expect(await senderFor(c.api).deliver(entry)).toBe("delivered");
    expect(c.completions[0]).toMatchObject({ status: "error", patch: undefined });
  });

  it("resumes this worker's entries after a restart and leaves another worker id's alone", async () => {
    await outbox.put(sampleEntry("mine", 2));
    const foreign = sampleEntry("theirs", 1);
    foreign.outcome.workerId = "w2";
    await outbox.put(foreign);
    const c = coordinator();
    const sender = senderFor(c.api);
    expect(await sender.resume()).toBe(1);
    await expect.poll(() => c.completions.length).toBe(1);
    expect(c.completions[0]?.lease).toMatchObject({ runId: "mine", attempt: 2 });
    await expect.poll(async () => (await outbox.scan()).map((e) => e.outcome.runId)).toEqual(["theirs"]);
  });

  /** An entry whose events the final flush delivered: what the job runner hands over while the write syncs. */
  function flushedEntry(): OutboxEntry {
    const entry = sampleEntry();
    return { ...entry, outcome: { ...entry.outcome, events: [] } };
  }

  it("sends the completion while the outbox write is under way, and removes the entry once it is written", async () => {
    const c = coordinator();
    const entry = flushedEntry();
    let written: () => void = () => {};
    const recorded = new Promise<void>((resolve) => {
      written = resolve;
    });
    const sender = senderFor(c.api);
    let settled = false;
    const delivery = sender.deliverWhileRecording(entry, recorded).finally(() => {
      settled = true;
    });
    // The coordinator holds the result before the write ended; the delivery still waits for the write.
    await expect.poll(() => c.completions.length).toBe(1);
    expect(c.calls).toEqual(["patch", "complete"]);
    expect(sender.held()).toEqual(["run-1"]);
    expect(settled).toBe(false);
    await outbox.put(entry);
    written();
    expect(await delivery).toBe("delivered");
    expect(await outbox.scan()).toEqual([]);
    expect(sender.held()).toEqual([]);
  });

  it("a first attempt that fails is retried from the written entry", async () => {
    const c = coordinator({ outage: 1 });
    const entry = flushedEntry();
    expect(await senderFor(c.api).deliverWhileRecording(entry, outbox.put(entry))).toBe("delivered");
    expect(c.calls).toEqual(["patch", "patch", "complete"]);
    expect(c.completions).toHaveLength(1);
    expect(await outbox.scan()).toEqual([]);
  });

  it("a write that fails fails the delivery, unless the coordinator already holds the result", async () => {
    const diskFull = () => Promise.reject(new Error("ENOSPC: no space left on device"));
    const away = coordinator({ outage: 1_000_000 });
    await expect(senderFor(away.api).deliverWhileRecording(flushedEntry(), diskFull())).rejects.toThrow("ENOSPC");
    expect(away.completions).toEqual([]);
    const up = coordinator();
    expect(await senderFor(up.api).deliverWhileRecording(flushedEntry(), diskFull())).toBe("delivered");
    expect(up.completions).toHaveLength(1);
    expect(lines.some((l) => l.includes("outbox write failed"))).toBe(true);
  });

  it("an entry that still holds events is delivered as before: written first, events before the completion", async () => {
    const c = coordinator();
    const entry = sampleEntry();
    let written = false;
    const recorded = outbox.put(entry).then(() => {
      written = true;
    });
    const sender = senderFor({
      ...c.api,
      reportEvents: (lease, batch) => {
        expect(written).toBe(true);
        return c.api.reportEvents(lease, batch);
      },
    });
    expect(await sender.deliverWhileRecording(entry, recorded)).toBe("delivered");
    expect(c.calls).toEqual(["events", "patch", "complete"]);
  });

  it("stops retrying when the worker stops, keeping the entry for the next start", async () => {
    const c = coordinator({ outage: 1_000_000 });
    const entry = sampleEntry();
    await outbox.put(entry);
    const sender = senderFor(c.api);
    const delivery = sender.deliver(entry);
    await expect.poll(() => c.calls.length).toBeGreaterThan(2);
    sender.stop();
    expect(await delivery).toBe("stopped");
    expect((await outbox.scan()).map((e) => e.outcome.runId)).toEqual(["run-1"]);
  });
});
