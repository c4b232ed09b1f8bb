import { randomUUID } from "node:crypto";
import { EMPTY_DIGEST, isPanCodeError, isTerminalStatus, PanCodeError } from "@pancode/core";
import type { ChainRow, ChainStepRow, OrchestrationRequest, RefineRow, RunRow } from "@pancode/db";
import { DEFAULT_MAX_ROUNDS, decideNext } from "./chain-plan.js";
import { KeyedSerial } from "./keyed-serial.js";
import {
  dispatchInputOf,
  interruptActive,
  isTransientRefusal,
  type OrchestrationDeps,
  registryFor,
  requireAgents,
  requireRange,
} from "./orchestration-deps.js";
import { isSettled } from "./run-settled.js";
import { composeStepTask } from "./step-task.js";

/** Most steps of a plain chain. */
const MAX_CHAIN_STEPS = 32;

/** A chain as submitted: fixed steps, or a refine loop. */
export interface CreateChainInput {
  steps: ChainStepRow[];
  /** $ORIGINAL; "" = the first step's task (refine: required). */
  originalTask: string;
  refine: RefineRow | null;
  request: OrchestrationRequest;
}

/**
 * Runs chains on the coordinator, one step at a time. Step k+1 is admitted like any dispatch once step k ended
 * done: its task gets step k's output ($INPUT) and the original task ($ORIGINAL), and it starts from the workspace
 * with the patches of every earlier step applied in order (the worker applies them). The first step that does not
 * end done, or is refused, fails the chain; nothing after it starts.
 */
export class ChainRunner {
  private readonly serial = new KeyedSerial();

  constructor(private readonly deps: OrchestrationDeps) {}

  /** Records the chain and admits its first step in the call (a refusal is the caller's error; nothing is kept). */
  async create(input: CreateChainInput): Promise<ChainRow> {
    const refine = input.refine ? { ...input.refine, maxRounds: input.refine.maxRounds || DEFAULT_MAX_ROUNDS } : null;
    const registry = registryFor(this.deps.agents, input.request.agentFiles);
    let steps = input.steps.map((s) => ({ agent: s.agent || this.deps.defaultAgent, task: s.task }));
    if (refine) {
      requireRange("max rounds", refine.maxRounds, 1, 10);
      if (!input.originalTask.trim()) throw new PanCodeError("EMPTY_TASK", "Dispatch blocked: the task is empty");
      requireAgents(registry, [refine.builder, refine.reviewer]);
      steps = [];
    } else {
      requireRange("chain length", steps.length, 1, MAX_CHAIN_STEPS);
      const empty = steps.findIndex((s) => !s.task.trim());
      if (empty >= 0) throw new PanCodeError("EMPTY_TASK", `Dispatch blocked: step ${empty + 1} has an empty task`);
      requireAgents(
        registry,
        steps.map((s) => s.agent),
      );
    }
    const chain = await this.deps.db.insertChain({
      id: randomUUID(),
      kind: refine ? "refine" : "chain",
      steps,
      originalTask: input.originalTask || steps[0]?.task || "",
      refine,
      request: input.request,
      submitter: input.request.submitter,
      userName: input.request.userName ?? null,
      team: input.request.team ?? null,
    });
    try {
      await this.deps.leases.hold("chain", chain.id);
      await this.serial.run(chain.id, () => this.startFirst(chain));
    } catch (err) {
      await this.deps.db.deleteChain(chain.id);
      throw err;
    }
    this.deps.logger.info("chain created", { chainId: chain.id, kind: chain.kind, steps: steps.length });
    return (await this.deps.db.getChain(chain.id)) ?? chain;
  }

  /** Moves the chain on if its current step ended (fire and forget; the periodic tick retries failures). */
  advance(chainId: string): void {
    this.serial
      .run(chainId, () => this.step(chainId))
      .catch((err: unknown) => this.deps.logger.error("chain step failed", { chainId, error: err as Error }));
  }

  /** Stops a running chain: its active run ends interrupted and no later step starts. */
  async stop(chainId: string, reason: string): Promise<{ stopped: string[]; status: string } | undefined> {
    return this.serial.run(chainId, async () => {
      const runs = await this.deps.db.listRunsOf({ chainId });
      const current = runs.at(-1);
      const ended = await this.deps.db.finishChain(chainId, {
        status: "stopped",
        error: reason,
        failedStep: current && !isTerminalStatus(current.status) ? current.step : 0,
      });
      if (!ended) return undefined;
      const stopped = await interruptActive(this.deps.lifecycle, runs, reason);
      this.deps.logger.info("chain stopped", { chainId, runs: stopped.length });
      await this.deps.onFinished?.({ chainId });
      return { stopped, status: "stopped" };
    });
  }

  private async startFirst(chain: ChainRow): Promise<void> {
    const first = chain.refine ? { agent: chain.refine.builder, task: chain.originalTask } : chain.steps[0];
    if (!first) throw new PanCodeError("INVALID_ARGUMENT", `chain ${chain.id} has no steps`);
    await this.startStep(chain, [], { agent: first.agent, template: first.task });
  }

  /**
   * One decision under the chain's lock and this replica's lease of it, from the database alone: the next step is
   * the one after the last run recorded, so a replica taking over never starts a step twice (and the unique
   * (chain, step) index refuses it if two ever tried).
   */
  private async step(chainId: string): Promise<void> {
    if (!(await this.deps.leases.hold("chain", chainId))) return;
    const chain = await this.deps.db.getChain(chainId);
    if (chain?.status !== "running") return;
    const runs = await this.deps.db.listRunsOf({ chainId });
    const last = runs.at(-1);
    if (!last) return this.startFirst(chain);
    if (!isSettled(last)) return;
    if (last.status !== "done") {
      const why = last.error ? `: ${last.error}` : "";
      return this.fail(chain, last.step, `step ${last.step} (${last.agent}) ended ${last.status}${why}`);
    }
    const decision = decideNext(chain, last);
    if (decision.kind === "step") {
      if (chain.kind === "refine" && last.step % 2 === 0) {
        await this.deps.db.updateChain(chainId, { rounds: last.step / 2, verdict: "changes_requested" });
      }
      return this.startStep(chain, runs, decision);
    }
    const status = decision.kind === "done" ? "done" : "failed";
    const failedStep = decision.kind === "failed" ? last.step : 0;
    const error = decision.kind === "failed" ? decision.error : "";
    await this.deps.db.updateChain(chainId, { rounds: decision.rounds });
    await this.end(chain, { status, error, failedStep, verdict: decision.verdict });
  }

  /** Admits step `runs.length + 1` with its composed task, from the state the earlier steps left. */
  private async startStep(chain: ChainRow, runs: RunRow[], next: { agent: string; template: string }): Promise<void> {
    const stepNo = runs.length + 1;
    const registry = registryFor(this.deps.agents, chain.request.agentFiles);
    const runtime = registry.get(next.agent)?.runtime ?? "";
    const task = composeStepTask({
      template: next.template,
      input: runs.at(-1)?.outputTail ?? "",
      original: chain.originalTask,
      prependContext: runtime !== "command",
    });
    // A retried step (after a transient refusal) is already listed.
    if (chain.kind === "refine" && chain.steps.length < stepNo) {
      await this.deps.db.updateChain(chain.id, { steps: [...chain.steps, { agent: next.agent, task: next.template }] });
    }
    const basePatches = runs
      .filter((r) => r.status === "done" && r.patchDigest && r.patchDigest !== EMPTY_DIGEST)
      .map((r) => r.patchDigest);
    try {
      const { run } = await this.deps.dispatch.dispatch(
        dispatchInputOf(chain.request, {
          task,
          agent: next.agent,
          orchestration: { chainId: chain.id, step: stepNo, basePatches },
        }),
        chain.request.traceparent,
      );
      this.deps.logger.info("chain step started", { chainId: chain.id, step: stepNo, runId: run.id });
    } catch (err) {
      // The first step's refusal is the creating call's error; a later one fails the chain at that step.
      if (stepNo === 1 || !isPanCodeError(err)) throw err;
      if (isTransientRefusal(err)) {
        // Not now (draining, no worker up): the periodic tick tries this step again.
        this.deps.logger.warn("chain step waits", { chainId: chain.id, step: stepNo, error: err.message });
        return;
      }
      await this.fail(chain, stepNo, `step ${stepNo} (${next.agent}) was refused: ${err.message}`);
    }
  }

  private async fail(chain: ChainRow, failedStep: number, error: string): Promise<void> {
    await this.end(chain, { status: "failed", error, failedStep, verdict: chain.verdict });
  }

  private async end(
    chain: ChainRow,
    end: { status: "done" | "failed"; error: string; failedStep: number; verdict: string },
  ): Promise<void> {
    const ended = await this.deps.db.finishChain(chain.id, end);
    if (!ended) return;
    this.deps.logger.info("chain finished", { chainId: chain.id, status: end.status, failedStep: end.failedStep });
    await this.deps.onFinished?.({ chainId: chain.id });
  }
}
