/**
 * Work for the multi-host scenarios (multihost.e2e.test.ts): `shell` runs, batches and chains submitted with the
 * real CLI on the client host, followed and counted like the rest of the fault suite (run-accounting.ts: outcomes
 * from the database, executions from the Docker engine's container starts).
 */
import { queryRows } from "@pancode/testing/postgres";
import { ContainerStarts } from "./container-starts.js";
import type { MultiHostCluster, WorkerHost } from "./multihost-cluster.js";
import { recordTally, type Submitted, settleAndCount, type Tally } from "./run-accounting.js";

/** One scenario's submitted work and the engine's record of its executions. */
export class Scenario {
  readonly submitted: Submitted[] = [];
  private readonly containers = ContainerStarts.follow();

  constructor(
    private readonly cluster: MultiHostCluster,
    private readonly repoDir: string,
  ) {}

  /** Dispatches each task as a `shell` run, three at a time; returns the run ids. */
  async dispatch(tasks: readonly string[]): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < tasks.length; i += 3) {
      const chunk = tasks.slice(i, i + 3);
      ids.push(
        ...(await Promise.all(
          chunk.map(async (t) => String((await this.json(["dispatch", t, "--agent", "shell"])).runId)),
        )),
      );
    }
    this.submitted.push(...ids.map((runId) => ({ kind: "run" as const, runId })));
    return ids;
  }

  /** Starts a batch of `shell` tasks (not waited for). */
  async batch(tasks: readonly string[], concurrency: number): Promise<string> {
    const args = [
      "batch",
      ...tasks.flatMap((t) => ["--task", t]),
      "--agent",
      "shell",
      "--concurrency",
      String(concurrency),
    ];
    const batchId = String((await this.json([...args, "--stagger-ms", "0"])).batchId);
    this.submitted.push({ kind: "batch", batchId, items: tasks.length });
    return batchId;
  }

  /** Starts a chain of `shell` steps (not waited for). */
  async chain(steps: readonly string[]): Promise<string> {
    const chainId = String((await this.json(["chain", ...steps.flatMap((s) => ["--step", `shell:${s}`])])).chainId);
    this.submitted.push({ kind: "chain", chainId, steps: steps.length });
    return chainId;
  }

  /** Waits until a run of this scenario is running on `workerId` with its container started; returns its id. */
  async runningOn(workerId: WorkerHost, timeoutMs = 60_000): Promise<string> {
    const logs = () => this.cluster.workers[workerId]?.logs().trimEnd().split("\n").slice(-15).join("\n") ?? "";
    return poll(
      timeoutMs,
      () => `no run of this scenario running on ${workerId}; its last lines:\n${logs()}`,
      async () => {
        const rows = await queryRows(
          this.cluster.databaseUrl,
          `select id from runs where worker_id = '${workerId}' and status = 'running'`,
        );
        const ids = new Set(await this.runIds());
        return rows.map((r) => r[0] as string).find((id) => ids.has(id) && this.containers.executions(id) > 0);
      },
    );
  }

  /** Waits until the container of `runId` exited. */
  async containerFinished(runId: string, timeoutMs = 60_000): Promise<void> {
    await poll(
      timeoutMs,
      () => `container of ${runId} did not finish`,
      async () => this.containers.finished(runId) || undefined,
    );
  }

  /** Counts the scenario's outcome (bound 90 s from now), records and prints its row; removes its containers. */
  async settle(name: string, killedMidRun: readonly string[] = []): Promise<Tally> {
    try {
      const tally = await settleAndCount({
        scenario: name,
        databaseUrl: this.cluster.databaseUrl,
        submitted: this.submitted,
        containers: this.containers,
        killedMidRun,
        boundMs: 90_000,
      });
      recordTally(tally);
      return tally;
    } finally {
      await this.containers.stop(await this.runIds().catch(() => []));
    }
  }

  /** Stops following without counting (work that is not a scenario's, such as a warm-up); removes its containers. */
  async discard(): Promise<void> {
    await this.containers.stop(await this.runIds().catch(() => []));
  }

  /** Every run id of the scenario's work so far (plain runs, batch items, chain steps). */
  async runIds(): Promise<string[]> {
    const plain = this.submitted.flatMap((u) => (u.kind === "run" ? [u.runId] : []));
    const groups = this.submitted.flatMap((u) =>
      u.kind === "batch" ? [`batch_id = '${u.batchId}'`] : u.kind === "chain" ? [`chain_id = '${u.chainId}'`] : [],
    );
    if (groups.length === 0) return plain;
    const rows = await queryRows(this.cluster.databaseUrl, `select id from runs where ${groups.join(" or ")}`);
    return [...plain, ...rows.map((r) => r[0] as string)];
  }

  private async json(args: string[]): Promise<Record<string, unknown>> {
    const result = await this.cluster.cli([...args, "--json"], this.repoDir);
    if (result.code !== 0) throw new Error(`pancode ${args[0]} exited ${result.code}: ${result.stderr}`);
    return JSON.parse(result.stdout) as Record<string, unknown>;
  }
}

/** Polls `probe` every 200 ms until it gives a value, or throws `failure()` after `timeoutMs`. */
export async function poll<T>(
  timeoutMs: number,
  failure: () => string,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(failure());
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Rows of `select count(*)`-like queries as one number. */
export async function countOf(databaseUrl: string, query: string): Promise<number> {
  const rows = await queryRows(databaseUrl, query);
  return Number(rows[0]?.[0] ?? 0);
}
