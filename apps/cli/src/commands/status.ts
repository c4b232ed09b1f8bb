import type { ClusterInfoResponse } from "@pancode/proto";
import type { Command } from "commander";
import { cliEnv } from "../client/cli-env.js";
import {
  liveWorkers,
  WORKER_HEADERS,
  type WorkerJson,
  workerCells,
  workerJson,
} from "../client/cluster/cluster-view.js";
import type { CommandRunner } from "../client/command-runner.js";
import { connect } from "../client/connection.js";
import { EXIT } from "../client/exit-codes.js";
import { formatCost, printJson, table } from "../output.js";

/** `pancode status --json`: stable camelCase fields, amounts in USD. */
export interface StatusJson {
  coordinator: { address: string; version: string; bus: string; database: string; draining: boolean };
  /** Live workers only. */
  workers: WorkerJson[];
  providers: { name: string; models: string[]; workers: string[] }[];
  /** Slots of the live workers: used = runs they hold now. */
  slots: { used: number; total: number };
  /** Queue depth: admitted runs no worker has started yet. */
  queue: { pending: number; running: number };
  budget: { ceilingUsd: number; spentUsd: number; reservedUsd: number; remainingUsd: number };
}

export function statusJson(info: ClusterInfoResponse, address: string): StatusJson {
  const workers = liveWorkers(info);
  return {
    coordinator: {
      address,
      version: info.version,
      bus: info.bus,
      database: info.database,
      draining: info.draining,
    },
    workers: workers.map(workerJson),
    providers: info.providers.map((p) => ({ name: p.name, models: p.models, workers: p.workerIds })),
    slots: {
      used: workers.reduce((sum, w) => sum + w.active, 0),
      total: workers.reduce((sum, w) => sum + w.capacity, 0),
    },
    queue: { pending: info.pendingRuns, running: info.runningRuns },
    budget: {
      ceilingUsd: info.budget?.ceilingUsd ?? 0,
      spentUsd: info.budget?.spentUsd ?? 0,
      reservedUsd: info.budget?.reservedUsd ?? 0,
      remainingUsd: info.budget?.remainingUsd ?? 0,
    },
  };
}

/** The text form: one labelled line per part, the workers as an indented table. */
export function formatStatus(info: ClusterInfoResponse, address: string, now = Date.now()): string {
  const s = statusJson(info, address);
  const c = s.coordinator;
  const admission = c.draining ? "draining (no new runs admitted)" : "admitting runs";
  const providers = s.providers.map(
    (p) => `${p.name} (${p.workers.length > 0 ? p.workers.join(",") : "no live worker"})`,
  );
  const b = s.budget;
  const lines = [
    `coordinator  ${c.address}  version ${c.version}, bus ${c.bus}, database ${c.database}, ${admission}`,
    `workers      ${s.workers.length} live, ${s.slots.used}/${s.slots.total} slots in use`,
  ];
  const live = liveWorkers(info);
  if (live.length > 0) {
    const rows = table(
      WORKER_HEADERS,
      live.map((w) => workerCells(w, now)),
    ).split("\n");
    lines.push(...rows.map((row) => `  ${row}`));
  }
  lines.push(
    `providers    ${providers.length > 0 ? providers.join(", ") : "none"}`,
    `queue        ${s.queue.pending} pending, ${s.queue.running} running`,
    `budget       ${formatCost(b.spentUsd)} spent, ${formatCost(b.reservedUsd)} reserved, ${formatCost(b.remainingUsd)} remaining of ${formatCost(b.ceilingUsd)}`,
  );
  return `${lines.join("\n")}\n`;
}

/** `pancode status [--json]`: the coordinator, its workers, providers, slots, queue depth, budget and drain state. */
export async function statusCommand(options: { json?: boolean }): Promise<number> {
  const address = cliEnv().connection().address;
  const api = connect();
  try {
    const info = await api.clusterInfo();
    if (options.json) printJson(statusJson(info, address));
    else process.stdout.write(formatStatus(info, address));
    return EXIT.ok;
  } finally {
    api.close();
  }
}

/** Registers `pancode status`. */
export function registerStatus(program: Command, run: CommandRunner): void {
  program
    .command("status")
    .description("the cluster at a glance: coordinator, workers, providers, slots in use, queue depth, budget, drain")
    .option("--json", "print one JSON document")
    .action((options: { json?: boolean }) => run("status", () => statusCommand(options)));
}
