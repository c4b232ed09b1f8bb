import type { TaskBus } from "@pancode/bus";
import type { Database, PublishedMessage, RunRow } from "@pancode/db";
import { batched } from "./batched.js";

/**
 * Decides whether a pending run may be put on the bus now. A run it holds stays `pending` and unpublished; the
 * publish reconciler asks again on every pass, in admission order, and publishes it once the gate opens (e.g. a
 * team's fair share: its runs wait while it is at its limit and go as its running runs end).
 */
export interface PublishGate {
  mayPublish(run: RunRow): boolean | Promise<boolean>;
  /**
   * Runs one publish decision and the publish it allows, serialised with the others that could take the same slot
   * (fair share: per team). Without it decisions run concurrently.
   */
  exclusive?<T>(run: RunRow, publish: () => Promise<T>): Promise<T>;
}

/** The gate of a cluster without publish policies: every run goes at once. */
const OPEN_GATE: PublishGate = { mayPublish: () => true };

/** Dependencies of {@link RunPublisher}. */
export interface RunPublisherDeps {
  db: Database;
  bus: TaskBus;
  gate?: PublishGate;
}

/** Dedupe id of one publish of a run: the bus drops a repeat of the same publish, never a deliberate republish. */
function publishMsgId(run: RunRow, generation: number): string {
  return `${run.id}:${run.attempt}:${generation}`;
}

/**
 * The one way a run's task message gets on the bus (transactional outbox): the run row is committed first with
 * `published_at` null, then published, then marked published with the message's sequence. Until then the publish
 * reconciler owns the run and publishes it again whenever this fails half way.
 */
export class RunPublisher {
  private readonly gate: PublishGate;
  /** The publishes of a burst of admissions are recorded in one statement. */
  private readonly recordPublished = batched(async (published: PublishedMessage[]) => {
    const recorded = await this.deps.db.markPublishedMany(published);
    return published.map((p) => recorded.has(p.runId));
  });

  constructor(private readonly deps: RunPublisherDeps) {
    this.gate = deps.gate ?? OPEN_GATE;
  }

  /** "held" when the gate says not yet; throws (UNAVAILABLE) when the bus did not confirm the message. */
  async publish(run: RunRow): Promise<"published" | "held"> {
    const decide = () => this.publishIfAllowed(run);
    return this.gate.exclusive ? this.gate.exclusive(run, decide) : decide();
  }

  private async publishIfAllowed(run: RunRow): Promise<"published" | "held"> {
    if (!(await this.gate.mayPublish(run))) return "held";
    const generation = run.publishCount + 1;
    const { seq } = await this.deps.bus.publishTask(
      { v: 1, runId: run.id, pool: run.pool, enqueuedAt: new Date().toISOString() },
      run.traceparent ? { traceparent: run.traceparent } : {},
      { msgId: publishMsgId(run, generation) },
    );
    await this.recordPublished({ runId: run.id, generation, seq });
    return "published";
  }
}
