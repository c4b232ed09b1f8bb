import { EventEmitter } from "node:events";

/**
 * Wakes watchers of a run when something about it changed (new events, new status). Watchers then read the
 * database, which stays the single source of truth; a missed wake-up only costs one poll interval.
 */
export class RunNotifier {
  private readonly emitter = new EventEmitter();

  constructor() {
    // One listener per open watch stream; many watchers of one run are normal.
    this.emitter.setMaxListeners(0);
  }

  notify(runId: string): void {
    this.emitter.emit(runId);
  }

  /** Resolves on the next notification for `runId`, after `timeoutMs`, or when `signal` aborts. */
  wait(runId: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.emitter.off(runId, done);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.emitter.once(runId, done);
      signal?.addEventListener("abort", done, { once: true });
    });
  }
}
