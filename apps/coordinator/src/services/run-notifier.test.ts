import { describe, expect, it } from "vitest";
import { RunNotifier } from "./run-notifier.js";

/** Far longer than the test's own timeout: a wait that ends proves a wake-up, not a timer. */
const NEVER_MS = 600_000;

describe("RunNotifier.subscribe", () => {
  it("keeps a change that came while the watcher was busy: the next wait returns at once", async () => {
    const notifier = new RunNotifier();
    const changes = notifier.subscribe("run-1");
    notifier.notify("run-1"); // e.g. the completion, while the watcher still reads the events it was woken for
    await changes.next(NEVER_MS);
    changes.close();
  });

  it("wakes a waiting watcher on its run's change only, and once per change", async () => {
    const notifier = new RunNotifier();
    const changes = notifier.subscribe("run-1");
    let woke = 0;
    const waiting = changes.next(NEVER_MS).then(() => {
      woke += 1;
    });
    notifier.notify("run-2");
    await Promise.resolve();
    expect(woke).toBe(0);
    notifier.hear("run-1");
    await waiting;
    expect(woke).toBe(1);
    // Consumed: the following wait needs a new change (here: the watcher's abort).
    const abort = new AbortController();
    const next = changes.next(NEVER_MS, abort.signal);
    abort.abort();
    await next;
    changes.close();
  });

  it("close ends a pending wait", async () => {
    const notifier = new RunNotifier();
    const changes = notifier.subscribe("run-1");
    const waiting = changes.next(NEVER_MS);
    changes.close();
    await waiting;
  });
});

describe("RunNotifier.subscribeAll", () => {
  it("wakes on a change of any run, told here or heard from another replica", async () => {
    const notifier = new RunNotifier();
    const changes = notifier.subscribeAll();
    const first = changes.next(NEVER_MS);
    notifier.notify("run-1");
    await first;
    const second = changes.next(NEVER_MS);
    notifier.hear("run-2");
    await second;
    changes.close();
  });
});
