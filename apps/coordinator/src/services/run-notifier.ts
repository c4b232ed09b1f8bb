import { EventEmitter } from "node:events";

/**
 * Wakes watchers of a run when something about it changed (new events, new status). Watchers then read the
 * database, which stays the single source of truth; a missed wake-up only costs one poll interval. With several
 * coordinator replicas each change is also announced to the others (Postgres NOTIFY), whose watchers {@link hear} it.
 */
export class RunNotifier {
  private readonly emitter = new EventEmitter();

  constructor(private readonly announce: (runId: string) => Promise<void> = async () => undefined) {
    // One listener per open watch stream; many watchers of one run are normal.
    this.emitter.setMaxListeners(0);
  }

  /** Something about the run changed here: wakes this replica's watchers and tells the other replicas. */
  notify(runId: string): void {
    this.emitter.emit(runId);
    // Best effort: a lost announcement costs the other replicas' watchers one poll interval.
    this.announce(runId).catch(() => undefined);
  }

  /** Another replica (or this one, echoed) announced a change: wakes this replica's watchers. */
  hear(runId: string): void {
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
