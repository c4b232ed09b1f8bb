/**
 * What became of the work a scenario submitted, read from the coordinator's database (the source of truth of run
 * status) and the Docker engine (the source of truth of executions, see container-starts.ts).
 *
 * Each submitted unit of work is one slot: a plain dispatch, a batch item or a chain step. A slot ends as
 * - done: its run is `done`;
 * - error: its run ended in another terminal status (error, timeout, interrupted, budget_exceeded), or a chain
 *   step never ran because an earlier step failed;
 * - stuck: still not terminal when the bound after the fault has passed (a run `pending` or `running`, a batch
 *   item or chain step not started while its batch or chain is still running);
 * - lost: the coordinator has no run for it although the client was told it was accepted, or its batch ended
 *   without ever starting it.
 * A run is executed twice when the engine started more than one container for it. Only a run whose container was
 * running on a worker that the scenario SIGKILLed may be (that work is really gone); every other one is a failure.
 */
import { appendFileSync } from "node:fs";
import { TERMINAL_STATUSES } from "@pancode/core";
import { queryRows } from "@pancode/testing/postgres";
import { inject } from "vitest";
import type { ContainerStarts } from "./container-starts.js";

/** Submitted work the accounting follows. */
export type Submitted =
  | { kind: "run"; runId: string }
  /** A dispatch the coordinator refused and kept nothing of: the client knows, nothing is left to end. */
  | { kind: "refused"; reason: string }
  | { kind: "batch"; batchId: string; items: number }
  | { kind: "chain"; chainId: string; steps: number };

type SlotState = "done" | "error" | "stuck" | "lost";

interface Slot {
  state: SlotState;
  runId?: string;
  reason?: string;
}

/** One row of the suite's table. */
export interface Tally {
  scenario: string;
  submitted: number;
  done: number;
  error: number;
  stuck: number;
  lost: number;
  executedTwice: number;
  /** Runs executed twice that were allowed to be: their worker was SIGKILLed mid-run. */
  allowedTwice: number;
  /** Runs that ended `done` without the engine ever starting a container for them (the counting would lie). */
  doneUnseen: number;
  /** Why non-done runs ended, for the log. */
  reasons: string[];
}

const TERMINAL = new Set<string>(TERMINAL_STATUSES);

function sqlList(ids: readonly string[]): string {
  return ids.map((id) => `'${id.replace(/'/g, "''")}'`).join(",");
}

function slotOfRun(row: string[] | undefined): Slot {
  if (!row) return { state: "lost" };
  const [runId, status = "", error = ""] = row;
  if (status === "done") return { state: "done", runId };
  if (TERMINAL.has(status)) return { state: "error", runId, reason: `${status}: ${error}` };
  return { state: "stuck", runId, reason: `still ${status}` };
}

async function runSlots(databaseUrl: string, runIds: readonly string[]): Promise<Slot[]> {
  if (runIds.length === 0) return [];
  const rows = await queryRows(databaseUrl, `select id, status, error from runs where id in (${sqlList(runIds)})`);
  return runIds.map((id) => slotOfRun(rows.find((r) => r[0] === id)));
}

/** Slots of a batch or chain: one per item/step, by the run of that step (runs.step is 1-based). */
async function groupSlots(databaseUrl: string, unit: Extract<Submitted, { kind: "batch" | "chain" }>): Promise<Slot[]> {
  const [table, column, id, count] =
    unit.kind === "batch"
      ? ["batches", "batch_id", unit.batchId, unit.items]
      : ["chains", "chain_id", unit.chainId, unit.steps];
  const group = await queryRows(databaseUrl, `select status, error from ${table} where id = ${sqlList([id])}`);
  const [groupStatus = "", groupError = ""] = group[0] ?? [];
  const rows = await queryRows(
    databaseUrl,
    `select step, id, status, error from runs where ${column} = ${sqlList([id])}`,
  );
  const groupEnded = group.length > 0 && groupStatus !== "running";
  return Array.from({ length: count }, (_, i) => {
    const row = rows.find((r) => Number(r[0]) === i + 1);
    if (row) return slotOfRun(row.slice(1));
    if (!groupEnded) return { state: "stuck", reason: `${unit.kind} item ${i + 1} not started` } satisfies Slot;
    // A chain stops at its first failed step; the steps after it are that failure's, not lost work.
    if (unit.kind === "chain" && groupStatus !== "done") return { state: "error", reason: `chain ${groupStatus}` };
    return { state: "lost", reason: `${unit.kind} ended ${groupStatus} without item ${i + 1}: ${groupError}` };
  });
}

async function slotsOf(databaseUrl: string, submitted: readonly Submitted[]): Promise<Slot[]> {
  const runIds = submitted.flatMap((u) => (u.kind === "run" ? [u.runId] : []));
  const slots = await runSlots(databaseUrl, runIds);
  for (const unit of submitted) {
    if (unit.kind === "refused") slots.push({ state: "error", reason: unit.reason });
    else if (unit.kind !== "run") slots.push(...(await groupSlots(databaseUrl, unit)));
  }
  return slots;
}

/**
 * Waits until every slot is terminal (done, error or lost) or `boundMs` has passed, then counts. The bound starts
 * when this is called: right after the fault ended. Database errors while polling (it may still be coming back)
 * count as "not yet".
 */
export async function settleAndCount(options: {
  scenario: string;
  databaseUrl: string;
  submitted: readonly Submitted[];
  containers: ContainerStarts;
  /** Runs whose container was running on a worker the scenario SIGKILLed. */
  killedMidRun?: readonly string[];
  boundMs?: number;
}): Promise<Tally> {
  const deadline = Date.now() + (options.boundMs ?? 60_000);
  let slots: Slot[] = [];
  for (;;) {
    slots = await slotsOf(options.databaseUrl, options.submitted).catch(() => slots);
    const settled = slots.length > 0 && slots.every((s) => s.state !== "stuck");
    if (settled || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const runIds = slots.flatMap((s) => (s.runId ? [s.runId] : []));
  await options.containers.settled(runIds);
  const killed = new Set(options.killedMidRun ?? []);
  const twice = runIds.filter((id) => options.containers.executions(id) > 1);
  const count = (state: SlotState) => slots.filter((s) => s.state === state).length;
  return {
    scenario: options.scenario,
    submitted: slots.length,
    done: count("done"),
    error: count("error"),
    stuck: count("stuck"),
    lost: count("lost"),
    executedTwice: twice.filter((id) => !killed.has(id)).length,
    allowedTwice: twice.filter((id) => killed.has(id)).length,
    doneUnseen: slots.filter((s) => s.state === "done" && s.runId && options.containers.executions(s.runId) === 0)
      .length,
    reasons: slots.flatMap((s) => (s.reason ? [`${s.runId?.slice(0, 8) ?? "-"} ${s.reason}`] : [])),
  };
}

/** The counts every scenario must end with. */
export const NO_DAMAGE = { stuck: 0, lost: 0, executedTwice: 0, doneUnseen: 0 };

/** The counts of a tally that must be zero (compare with {@link NO_DAMAGE}). */
export function damageOf(tally: Tally): typeof NO_DAMAGE {
  return {
    stuck: tally.stuck,
    lost: tally.lost,
    executedTwice: tally.executedTwice,
    doneUnseen: tally.doneUnseen,
  };
}

const rows: Tally[] = [];

/**
 * Keeps a scenario's counts for this file's {@link faultTable} and for the run's table (fault-table-setup.ts), and
 * logs them with the reasons of the runs that did not end done.
 */
export function recordTally(tally: Tally): void {
  rows.push(tally);
  const path = inject("faultTablePath");
  if (path) appendFileSync(path, `${JSON.stringify(tally)}\n`);
  console.log([rowOf(tally), ...tally.reasons.map((r) => `  ${r}`)].join("\n"));
}

function rowOf(t: Tally): string {
  return `| ${t.scenario} | ${t.submitted} | ${t.done} | ${t.error} | ${t.stuck} | ${t.lost} | ${t.executedTwice} (${t.allowedTwice}) |`;
}

/** The scenarios' counts as a Markdown table (the closing note's format). */
export function faultTable(tallies: readonly Tally[] = rows): string {
  const header =
    "| fault | submitted | done | error | stuck | lost | executed twice (killed worker's runs) |\n|---|---|---|---|---|---|---|";
  return [header, ...tallies.map(rowOf)].join("\n");
}
