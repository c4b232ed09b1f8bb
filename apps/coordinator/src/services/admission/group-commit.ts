import type { AdmissionOutcome, ReservationResult, RunAdmission } from "@pancode/db";
import type { AdmissionStore } from "./context.js";

/** Options of {@link GroupCommit}. */
export interface GroupCommitOptions {
  /** Most runs in one transaction. @default 256 */
  maxBatch?: number;
  /**
   * Batch transactions at once. Two let the next batch insert its runs while the one before holds the budget row.
   * @default 2
   */
  maxInFlight?: number;
}

interface Waiting {
  admission: RunAdmission;
  resolve(result: ReservationResult): void;
  reject(reason: unknown): void;
}

/**
 * Collects the admissions that arrive while earlier batches commit and hands them to the store together
 * ({@link AdmissionStore.admitRuns}): under load the budget row and the audit chain are locked once per batch
 * instead of once per run (bench/README.md, admissions). A lone dispatch waits one event-loop turn at most, so its
 * latency barely changes. Each caller gets its own run or refusal, as if it had been admitted alone.
 */
export class GroupCommit {
  private readonly queue: Waiting[] = [];
  private inFlight = 0;
  private scheduled = false;
  private readonly maxBatch: number;
  private readonly maxInFlight: number;

  constructor(
    private readonly store: Pick<AdmissionStore, "admitRuns">,
    options: GroupCommitOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 256;
    this.maxInFlight = options.maxInFlight ?? 2;
  }

  /** Admits one run with the next batch. */
  admit(admission: RunAdmission): Promise<ReservationResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ admission, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.queue.length === 0 || this.inFlight >= this.maxInFlight) return;
    this.scheduled = true;
    // One turn of the event loop: the dispatches whose gates finish in the same turn join the batch.
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.inFlight >= this.maxInFlight) return;
    const batch = this.queue.splice(0, this.maxBatch);
    if (batch.length === 0) return;
    this.inFlight++;
    // More than one batch's worth waiting: the next batch starts now, when a slot is free.
    this.schedule();
    try {
      const outcomes = await this.store.admitRuns(batch.map((w) => w.admission));
      for (const [i, w] of batch.entries()) settle(w, outcomes[i]);
    } catch (err) {
      for (const w of batch) w.reject(err);
    } finally {
      this.inFlight--;
      this.schedule();
    }
  }
}

function settle(waiting: Waiting, outcome: AdmissionOutcome | undefined): void {
  if (!outcome) waiting.reject(new Error("group commit: the store returned fewer outcomes than admissions"));
  else if (outcome.status === "fulfilled") waiting.resolve(outcome.value);
  else waiting.reject(outcome.reason);
}
