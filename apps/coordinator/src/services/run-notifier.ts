import { EventEmitter } from "node:events";

/**
 * Wakes watchers of a run when something about it changed (new events, new status). Watchers then read the
 * database, which stays the single source of truth; a missed wake-up only costs one poll interval, and
 * a change while a watcher reads the database is kept for it ({@link RunNotifier.subscribe}). With several
 * coordinator replicas each change is also announced to the others (Postgres NOTIFY), whose watchers {@link hear} it.
 */
/** The event every change also emits, whichever the run (the console's cluster-wide stream waits on it). */
const ANY_RUN = Symbol("any run");

export class RunNotifier {
  private readonly emitter = new EventEmitter();

  constructor(private readonly announce: (runId: string) => Promise<void> = async () => undefined) {
    // One listener per open watch stream; many watchers of one run are normal.
    this.emitter.setMaxListeners(0);
  }

  /** Something about the run changed here: wakes this replica's watchers and tells the other replicas. */
  notify(runId: string): void {
    this.emitter.emit(runId);
    this.emitter.emit(ANY_RUN);
    // Best effort: a lost announcement costs the other replicas' watchers one poll interval.
    this.announce(runId).catch(() => undefined);
  }

  /** Another replica (or this one, echoed) announced a change: wakes this replica's watchers. */
  hear(runId: string): void {
    this.emitter.emit(runId);
    this.emitter.emit(ANY_RUN);
  }

  /** Like {@link subscribe}, for a change of any run, on this replica or (announced) another. */
  subscribeAll(): RunSubscription {
    return this.subscribe(ANY_RUN);
  }

  /**
   * Listens for `runId` from now on: a notification that comes while the watcher is busy reading the database is
   * kept, so its next {@link RunSubscription.next} returns at once instead of sleeping a whole poll interval (the
   * completion often lands right after the final events' notification woke the watcher). `close` when done.
   */
  subscribe(runId: string | typeof ANY_RUN): RunSubscription {
    let missed = false;
    let wake: (() => void) | undefined;
    const onChange = (): void => {
      missed = true;
      wake?.();
    };
    this.emitter.on(runId, onChange);
    return {
      next: (timeoutMs, signal) =>
        new Promise<void>((resolve) => {
          if (missed || signal?.aborted) {
            missed = false;
            resolve();
            return;
          }
          const done = (): void => {
            clearTimeout(timer);
            signal?.removeEventListener("abort", done);
            wake = undefined;
            missed = false;
            resolve();
          };
          const timer = setTimeout(done, timeoutMs);
          wake = done;
          signal?.addEventListener("abort", done, { once: true });
        }),
      close: () => {
        wake?.();
        this.emitter.off(runId, onChange);
      },
    };
  }
}

/** A watcher's standing interest in one run (see {@link RunNotifier.subscribe}). */
export interface RunSubscription {
  /** Resolves at once when the run changed since the last call, else on its next change, after `timeoutMs`, or on abort. */
  next(timeoutMs: number, signal?: AbortSignal): Promise<void>;
  close(): void;
}
