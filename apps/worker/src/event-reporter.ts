import type { AgentEvent } from "@pancode/core";
import type { WorkerApi } from "@pancode/proto";
import type { Logger } from "@pancode/telemetry";

/** Bytes of combined output kept as the run's tail (shown by `pancode show`, recorded in the receipt hash). */
export const OUTPUT_TAIL_BYTES = 4096;

/**
 * Buffers a run's output, agent events and notes, and sends them to the coordinator every `flushMs`.
 * When the coordinator answers that the attempt is stale, `onStale` fires once so the run can be stopped.
 */
export class EventReporter {
  private pending: { at: string; kind: string; text: string }[] = [];
  private flushing: Promise<void> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;
  private staleSeen = false;

  constructor(
    private readonly deps: {
      api: WorkerApi;
      lease: { runId: string; attempt: number; leaseToken: string };
      flushMs: number;
      logger: Logger;
      onStale: () => void;
    },
  ) {
    this.timer = setInterval(() => void this.flush(), deps.flushMs);
    this.timer.unref();
  }

  output(stream: "stdout" | "stderr", text: string): void {
    this.pending.push({ at: new Date().toISOString(), kind: stream, text });
  }

  /** One normalised agent event, as JSON in an `agent` event. */
  agent(event: AgentEvent): void {
    this.pending.push({ at: new Date().toISOString(), kind: "agent", text: JSON.stringify(event) });
  }

  note(text: string): void {
    this.pending.push({ at: new Date().toISOString(), kind: "log", text });
  }

  /** Sends what is buffered; calls are serialised so events keep their order. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (this.pending.length === 0) return;
      const batch = this.pending;
      this.pending = [];
      try {
        const stale = await this.deps.api.reportEvents(this.deps.lease, batch);
        if (stale && !this.staleSeen) {
          this.staleSeen = true;
          this.deps.onStale();
        }
      } catch (err) {
        // Keep the events for the next flush: a coordinator blip must not lose output.
        this.pending = batch.concat(this.pending);
        this.deps.logger.warn("event report failed", { runId: this.deps.lease.runId, error: err as Error });
      }
    });
    return this.flushing;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
