import { isPanCodeError } from "@pancode/core";
import {
  AUDIT_CATEGORIES,
  type AuditCategory,
  type AuditFilter,
  type AuditRow,
  type AuditVerification,
  type Database,
  type NewAuditEntry,
  type RunRow,
  type WorkerRow,
} from "@pancode/db";
import type { Logger } from "@pancode/telemetry";
import { type Gate, gateOf } from "./admission.js";

export { AUDIT_CATEGORIES, type AuditCategory, type AuditRow };

/** The audit store as the audit trail uses it. */
export type AuditStore = Pick<Database, "appendAudit" | "listAudit" | "verifyAudit">;

/** The actor of what the coordinator does by itself (reaper, drain on SIGTERM, give-ups). */
export const COORDINATOR_ACTOR = "coordinator";

/** Gates whose refusals are safety decisions: filed under `safety` rather than `dispatch`. */
const SAFETY_GATES: ReadonlySet<Gate> = new Set(["recursion", "path", "safety"]);

/** The entry of an admitted dispatch, with its warnings. */
export function admittedEntry(run: RunRow, estimateUsd: number, warnings: readonly string[]): NewAuditEntry {
  const note = warnings.length > 0 ? ` (${warnings.length} warning${warnings.length === 1 ? "" : "s"})` : "";
  return {
    category: "dispatch",
    action: "admitted",
    runId: run.id,
    actor: run.submitter,
    message: `admitted agent ${run.agent}${run.model ? ` (${run.model})` : ""}${note}`,
    data: { agent: run.agent, model: run.model, estimateUsd, warnings: [...warnings] },
  };
}

/** A safety gate's warning on an admitted run (a missing path, an agent failing the same task again). */
export function safetyWarningEntry(run: RunRow, action: string, message: string): NewAuditEntry {
  return { category: "safety", action, runId: run.id, actor: run.submitter, message, data: { agent: run.agent } };
}

/** The entry of a claim: a new attempt started on `workerId`. */
export function startedEntry(run: RunRow, workerId: string): NewAuditEntry {
  return {
    category: "run",
    action: "started",
    runId: run.id,
    actor: workerId,
    message: `attempt ${run.attempt} started on worker ${workerId}`,
    data: { attempt: run.attempt, agent: run.agent },
  };
}

/** The entry of a terminal status: `done` is completed (category run), anything else failed (category error). */
export function endedEntry(run: RunRow, actor: string): NewAuditEntry {
  const done = run.status === "done";
  const detail = run.error ? `: ${run.error}` : run.exitCode === null ? "" : ` (exit ${run.exitCode})`;
  return {
    category: done ? "run" : "error",
    action: done ? "completed" : "failed",
    runId: run.id,
    actor,
    message: `${run.status}${detail}`,
    data: {
      status: run.status,
      attempt: run.attempt,
      exitCode: run.exitCode,
      costUsd: run.costUsd,
      inputTokens: run.inputTokens,
      outputTokens: run.outputTokens,
    },
  };
}

/**
 * A worker's receipt statement the coordinator refused to countersign (a field that does not match its records, a
 * bad signature): the completion failed and no receipt was stored.
 */
export function receiptRefusedEntry(run: RunRow, err: unknown): NewAuditEntry {
  const message = err instanceof Error ? err.message : String(err);
  return {
    category: "safety",
    action: "receipt_refused",
    runId: run.id,
    actor: run.workerId,
    message,
    data: { attempt: run.attempt, workerId: run.workerId, code: isPanCodeError(err) ? err.code : "INTERNAL" },
  };
}

/** The entry of a budget ceiling change. */
export function ceilingSetEntry(fromUsd: number, toUsd: number, actor: string): NewAuditEntry {
  return {
    category: "budget",
    action: "ceiling_set",
    actor,
    message: `budget ceiling set from $${fromUsd.toFixed(2)} to $${toUsd.toFixed(2)}`,
    data: { fromUsd, toUsd },
  };
}

/** The entry of a team's budget ceiling change (`fromUsd` null: the team had none). */
export function teamCeilingSetEntry(team: string, fromUsd: number | null, toUsd: number, actor: string): NewAuditEntry {
  const from = fromUsd === null ? "none" : `$${fromUsd.toFixed(2)}`;
  return {
    category: "budget",
    action: "team_ceiling_set",
    actor,
    message: `budget ceiling of team ${team} set from ${from} to $${toUsd.toFixed(2)}`,
    data: { team, fromUsd, toUsd },
  };
}

/** The entry of a worker that registered. */
export function workerJoinedEntry(w: {
  id: string;
  pool: string;
  sandbox: string;
  capacity: number;
  version: string;
}): NewAuditEntry {
  return {
    category: "worker",
    action: "joined",
    actor: w.id,
    message: `worker ${w.id} joined pool ${w.pool} (${w.sandbox}, capacity ${w.capacity})`,
    data: { pool: w.pool, sandbox: w.sandbox, capacity: w.capacity, version: w.version },
  };
}

/** The entry of a worker that stopped heartbeating and was marked gone. */
export function workerLeftEntry(w: WorkerRow, reason: string): NewAuditEntry {
  return {
    category: "worker",
    action: "left",
    actor: w.id,
    message: `worker ${w.id} left: ${reason}`,
    data: { pool: w.pool, lastHeartbeatAt: w.lastHeartbeatAt.toISOString(), reason },
  };
}

/**
 * The coordinator's audit trail: one method per kind of event worth keeping, all appended to the hash chain in the
 * database. A failed append throws (UNAVAILABLE or INTERNAL, naming what could not be recorded): callers let it fail
 * their operation, because a trail with silent holes is worse than a refused request. State changes in the database
 * (admission, claim, run end, ceiling change, worker gone) do better: their entries (the `*Entry` builders) are
 * appended in the transaction of the change itself, so the change and its entry commit together or not at all.
 */
export class AuditLog {
  constructor(private readonly deps: { db: AuditStore; logger: Logger }) {}

  /** Appends one entry; throws (naming the entry) when it could not be recorded. */
  async record(entry: NewAuditEntry): Promise<AuditRow> {
    try {
      return await this.deps.db.appendAudit(entry);
    } catch (err) {
      this.deps.logger.error("audit append failed", {
        category: entry.category,
        action: entry.action,
        error: err as Error,
      });
      throw err;
    }
  }

  /**
   * A refused dispatch, named by its gate: category `safety` for the recursion, path and safety gates, `dispatch`
   * for the others. A failure that is no refusal (database down, internal error) goes to the `error` category.
   * Returns the gate, or undefined for such failures.
   */
  async refused(input: { agent: string; submitter: string; mode: string }, err: unknown): Promise<Gate | undefined> {
    const gate = gateOf(err);
    const message = err instanceof Error ? err.message : String(err);
    const code = isPanCodeError(err) ? err.code : "INTERNAL";
    await this.record({
      category: gate ? (SAFETY_GATES.has(gate) ? "safety" : "dispatch") : "error",
      action: gate ? "refused" : "dispatch_failed",
      actor: input.submitter,
      gate: gate ?? "",
      message,
      data: { agent: input.agent, mode: input.mode || "build", code },
    });
    return gate;
  }

  /** A safety decision that is no refusal (a loop warning, a path that does not exist, a scope reduction). */
  safety(
    action: string,
    e: { runId?: string; actor: string; message: string; data?: Record<string, unknown> },
  ): Promise<AuditRow> {
    return this.record({ category: "safety", action, ...e });
  }

  /** The coordinator stopped admitting runs. */
  drainStarted(actor: string, activeRuns: number): Promise<AuditRow> {
    return this.record({
      category: "drain",
      action: "drain_started",
      actor,
      message: `drain started by ${actor}: no new admissions; ${activeRuns} active run(s) may finish`,
      data: { activeRuns },
    });
  }

  /** The cluster admits runs again. */
  drainEnded(actor: string): Promise<AuditRow> {
    return this.record({
      category: "drain",
      action: "drain_ended",
      actor,
      message: `drain ended by ${actor}: runs are admitted again`,
    });
  }

  /** Entries, newest first. */
  list(filter: AuditFilter): Promise<AuditRow[]> {
    return this.deps.db.listAudit(filter);
  }

  /** Walks the chain; see {@link Database.verifyAudit}. */
  verify(): Promise<AuditVerification> {
    return this.deps.db.verifyAudit();
  }
}
