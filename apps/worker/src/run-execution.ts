import { capViolations, getRuntime, homeTmpfsMb, runtimeNames, type SandboxCaps } from "@pancode/agents";
import {
  EMPTY_DIGEST,
  type NetworkPolicy,
  PanCodeError,
  type PatchFile,
  type RunGrant,
  type RunSpec,
  type RunStatus,
  sha256Digest,
  type Usage,
} from "@pancode/core";
import type { PreparedWorktree, WorkspaceCache } from "@pancode/git";
import type { WorkerApi } from "@pancode/proto";
import type { RunReceiptModelCalls } from "@pancode/receipts";
import type { ContainerRuntime } from "@pancode/sandbox";
import type { Logger } from "@pancode/telemetry";
import { currentTraceparent, withSpan } from "@pancode/telemetry";
import { AgentOutput } from "./agent-output.js";
import { backoffDelay, COORDINATOR_BACKOFF, isTransient, sleep } from "./backoff.js";
import { withDownloadedFile } from "./downloaded-file.js";
import type { EventReporter } from "./event-reporter.js";
import { requireRuntime } from "./image-runtimes.js";
import type { NestedDispatchConfig } from "./nested-dispatch.js";
import { runGitAccess } from "./run-git-access.js";
import type { PriceTable } from "./run-model-proxy.js";
import { openRunNetwork, usageMismatch } from "./run-network.js";
import { failureReason, isOverCap, type StopReason, statusOf } from "./stop-reason.js";
import type { ExecutionMetrics } from "./worker-metrics.js";

export type { StopReason } from "./stop-reason.js";

/** The outcome of one attempt, ready to be reported with CompleteRun. */
export interface RunOutcome {
  status: RunStatus;
  exitCode: number | null;
  error: string;
  startedAt: Date;
  finishedAt: Date;
  patch: { digest: string; bytes: number; files: PatchFile[] } | null;
  /** The patch itself (absent when empty): kept in the outbox and uploaded by its sender, not during the run. */
  patchData?: Buffer;
  imageDigest: string;
  /** Version of the agent CLI in the image (its `pancode.version.<runtime>` label); "" when none. */
  runtimeVersion?: string;
  /** Tokens and cost of the run: the model proxy's metering (the agent's own report only without a proxy). */
  usage: Usage;
  /** Digest of the proxy-metered model calls, as the receipt records it (absent when the run had no model proxy). */
  modelCalls?: RunReceiptModelCalls;
  /** The agent's final answer, or the raw output tail. */
  outputTail: string;
}

/** Dependencies of {@link executeRun}. */
export interface ExecutionDeps {
  api: WorkerApi;
  cache: WorkspaceCache;
  sandbox: ContainerRuntime;
  logger: Logger;
  workerId: string;
  agentNetwork: "" | "bridge" | "host";
  /** API keys by variable name: the run's model proxy injects its provider's; no container ever holds one. */
  secrets: Readonly<Record<string, string>>;
  /** The worker's data dir: runs' socket directories live under it (same-path rule, deploy/README.md). */
  dataDir?: string;
  /** Host directory of the installed in-container forwarder; absent = no socket transport (process sandbox). */
  forwarderDir?: string;
  /** The cluster's price table, for model calls other than the run's own model. */
  prices?: PriceTable;
  /** Nested dispatch: how runs reach the coordinator and where the pancode client is. Absent = not offered. */
  nested?: NestedDispatchConfig;
  /** This worker's own maxima of a sandbox (PANCODE_MAX_*): nothing over them reaches Docker, whatever the spec says. */
  caps: SandboxCaps;
  /** Times the stages of a run and counts model calls; none = no metrics. */
  metrics?: ExecutionMetrics;
}

/**
 * Defence in depth behind admission: a run whose agent asks more than this worker's caps is refused before anything
 * is prepared (a coordinator with higher caps, or a spec that never passed admission, cannot size this host).
 */
function requireWithinCaps(deps: ExecutionDeps, spec: RunSpec): void {
  const over = capViolations(spec.agent, deps.caps);
  if (over.length > 0) {
    throw new PanCodeError("INVALID_ARGUMENT", `worker ${deps.workerId} refuses the run: ${over.join("; ")}`);
  }
}

/**
 * Network a run's sandbox gets: none stays none (every coding agent's default: its model and the coordinator are
 * reached through the run's sockets); an agent that asks for egress may be redirected to PANCODE_AGENT_NETWORK.
 */
export function networkFor(policy: NetworkPolicy, override: ExecutionDeps["agentNetwork"]): NetworkPolicy {
  if (policy === "none") return policy;
  return override === "" ? policy : override;
}

/** Retries of one workspace fetch before the attempt is abandoned (about 7 s of backoff). */
const FETCH_RETRIES = 4;

/**
 * Runs `fetch` (a download of workspace blob `digest`), retrying transient failures with backoff a few times; after
 * that the attempt is given up before anything ran. Once `abandon` aborts (the workspace failed for another reason,
 * so nobody will use this blob) it stops retrying and rethrows the last failure.
 */
export async function withFetchRetries<T>(digest: string, fetch: () => Promise<T>, abandon?: AbortSignal): Promise<T> {
  for (let failures = 0; ; failures++) {
    try {
      return await fetch();
    } catch (err) {
      if (!isTransient(err) || abandon?.aborted) throw err;
      if (failures >= FETCH_RETRIES) {
        throw new PanCodeError(
          "UNAVAILABLE",
          `workspace blob ${digest} could not be fetched: ${(err as Error).message}`,
          {
            cause: err,
            retryable: true,
          },
        );
      }
      if (!(await sleep(backoffDelay(failures + 1, COORDINATOR_BACKOFF), abandon))) throw err;
    }
  }
}

/** Fetches a workspace blob into memory (patches), with {@link withFetchRetries}. */
function fetchWorkspaceBlob(deps: ExecutionDeps, lease: RunLease, digest: string, abandon: AbortSignal) {
  return withFetchRetries(digest, () => deps.api.fetchBlob(lease, digest), abandon);
}

/**
 * Materialises the run's exact starting state: base commit from the mirror (bundle fetched if needed) plus the
 * submitted uncommitted delta, plus the patches of earlier chain steps. The blobs are fetched while the mirror is
 * looked up and the base commit checked out: none of those needs the others.
 */
async function prepareWorkspace(deps: ExecutionDeps, spec: RunSpec, lease: RunLease): Promise<PreparedWorktree> {
  const w = spec.workspace;
  // Aborted when the base commit cannot be had: the blobs fetched beside it are then never used, so they stop
  // retrying instead of calling the coordinator for seconds after the attempt was given up.
  const abandon = new AbortController();
  const statePatch =
    w.stateDigest === EMPTY_DIGEST
      ? Promise.resolve(Buffer.alloc(0))
      : fetchWorkspaceBlob(deps, lease, w.stateDigest, abandon.signal);
  // Earlier chain steps' patches, in order: this run starts from the state they left.
  const basePatches = Promise.all(
    spec.basePatches.map((digest) => fetchWorkspaceBlob(deps, lease, digest, abandon.signal)),
  );
  // createWorktree awaits both; until then a failed fetch must not count as an unhandled rejection.
  for (const fetching of [statePatch, basePatches]) fetching.catch(() => undefined);
  const create = () =>
    deps.cache.createWorktree({
      repoId: w.repoId,
      baseCommit: w.baseCommit,
      statePatch,
      basePatches,
      runId: spec.runId,
    });
  // Optimistic: a worker that ran the repository before holds the base commit, so the checkout is tried at once
  // (one git process less than asking first). Only a checkout that failed for want of the commit fetches the bundle.
  try {
    return await create();
  } catch {
    // The commit is there now: another run of the repository imported it while this checkout failed for want of
    // it (runs of a new repository start side by side), or the failure was another one, which a second try repeats.
    if (await deps.cache.hasCommit(w.repoId, w.baseCommit)) return create();
  }
  try {
    await withFetchRetries(w.bundleDigest, () =>
      withDownloadedFile(deps.api.fetchBlobChunks(lease, w.bundleDigest), deps.dataDir, (file) =>
        deps.cache.importBundle(w.repoId, file),
      ),
    );
  } catch (err) {
    abandon.abort();
    throw err;
  }
  return create();
}

type RunLease = { runId: string; attempt: number; leaseToken: string };

function traceEnv(env: Record<string, string>, traceparent: string): Record<string, string> {
  return traceparent ? { ...env, TRACEPARENT: traceparent } : env;
}

/** Resolves as `work` does, telling `record` how many seconds it took when it succeeded. */
async function timed<T>(work: () => Promise<T>, record: (seconds: number) => void): Promise<T> {
  const started = performance.now();
  const value = await work();
  record((performance.now() - started) / 1000);
  return value;
}

/** How a run is stopped from outside, and where it leaves cleanup for after its completion is reported. */
interface RunStopControl {
  signal: AbortSignal;
  reason: () => StopReason | undefined;
  /** Asks for the run to be stopped (the sandbox is aborted through `signal`). */
  request: (reason: StopReason) => void;
  deferCleanup: (cleanup: () => Promise<void>) => void;
}

type SpanAttributes = Record<string, string | number>;

/**
 * The agent image (inspected) and the run's worktree, prepared side by side since neither needs the other. The
 * worktree's removal is deferred past the completion report (the start-up reaper removes what a crash left).
 */
async function prepareRun(deps: ExecutionDeps, spec: RunSpec, stop: RunStopControl, attrs: SpanAttributes) {
  const lease = { runId: spec.runId, attempt: spec.attempt, leaseToken: spec.leaseToken };
  const [image, prepared] = await Promise.allSettled([
    deps.sandbox.inspectImage(spec.agent.image),
    withSpan("pancode.workspace.prepare", attrs, () =>
      timed(
        () => prepareWorkspace(deps, spec, lease),
        (seconds) => deps.metrics?.workspacePrepared(seconds),
      ),
    ),
  ]);
  if (prepared.status === "fulfilled") {
    const worktree = prepared.value;
    stop.deferCleanup(() =>
      deps.cache
        .removeWorktree(worktree)
        .catch((err: unknown) =>
          deps.logger.warn("worktree removal failed", { runId: spec.runId, error: err as Error }),
        ),
    );
  }
  if (image.status === "rejected") throw image.reason;
  if (prepared.status === "rejected") throw prepared.reason;
  if (deps.sandbox.kind === "docker") requireRuntime(image.value, spec.agent.image, spec.agent.runtime, runtimeNames());
  return { image: image.value, worktree: prepared.value };
}

/** What the sandbox is asked to run: the agent's invocation wrapped by the run's network, with its mounts. */
function containerRequest(
  deps: ExecutionDeps,
  spec: RunSpec,
  worktree: PreparedWorktree,
  net: Awaited<ReturnType<typeof openRunNetwork>>,
  argvAndEnv: { argv: string[]; env: Record<string, string> },
): Parameters<ContainerRuntime["run"]>[0] {
  const gitAccess = runGitAccess(worktree, { sandbox: deps.sandbox.kind, readonly: spec.agent.readonly });
  return {
    runId: spec.runId,
    image: spec.agent.image,
    argv: net.wrap(argvAndEnv.argv),
    // The container continues the trace from this span: TRACEPARENT is the standard variable agents read.
    env: traceEnv(
      { ...gitAccess.env, ...argvAndEnv.env, ...net.env, PANCODE_RUN_ID: spec.runId },
      currentTraceparent() || spec.traceparent,
    ),
    workspacePath: worktree.path,
    readonly: spec.agent.readonly,
    limits: spec.agent.limits,
    homeTmpfsMb: homeTmpfsMb(spec.agent, deps.caps),
    network: networkFor(spec.agent.network, deps.agentNetwork),
    labels: { "pancode.attempt": String(spec.attempt) },
    readonlyMounts: [...net.mounts, ...gitAccess.mounts],
    ...(net.warmPrelude ? { warmPrelude: net.warmPrelude } : {}),
  };
}

/**
 * Executes one attempt: workspace, sandboxed command, delta patch (uploaded later, from the outbox). The sandbox
 * always removes its container; the worktree's removal is handed to `stop.deferCleanup`, which the caller runs after
 * reporting the completion.
 */
export async function executeRun(
  deps: ExecutionDeps,
  spec: RunSpec,
  reporter: EventReporter,
  stop: RunStopControl,
  grant?: RunGrant,
): Promise<RunOutcome> {
  requireWithinCaps(deps, spec);
  const startedAt = new Date();
  const attrs = { "pancode.run_id": spec.runId, "pancode.attempt": spec.attempt, "pancode.worker_id": deps.workerId };
  const { image, worktree } = await prepareRun(deps, spec, stop, attrs);
  reporter.note(`workspace prepared at ${spec.workspace.baseCommit.slice(0, 12)} on worker ${deps.workerId}`);
  const runtime = getRuntime(spec.agent.runtime);
  const net = await openRunNetwork(deps, spec, grant, reporter, stop.request);
  try {
    const invocation = runtime.buildInvocation({ task: spec.task, agent: spec.agent, model: net.model });
    // Without a proxy (the process sandbox) the cap watches the agent's own reports, as before.
    const metered = Boolean(net.proxy);
    const output = new AgentOutput(
      reporter,
      runtime.createParser?.(),
      spec.model?.price,
      (total) => {
        if (!metered && isOverCap(total.costUsd, spec.maxCostUsd)) stop.request("budget");
      },
      metered,
    );
    const askedAt = Date.now();
    const result = await withSpan("pancode.container.run", { ...attrs, "pancode.image": spec.agent.image }, () =>
      deps.sandbox.run(
        containerRequest(deps, spec, worktree, net, invocation),
        // The sandbox's upkeep (used container removal, pool refill) waits until the completion was sent.
        { onOutput: (stream, text) => output.push(stream, text), defer: (upkeep) => stop.deferCleanup(upkeep) },
        stop.signal,
      ),
    );
    output.finish();
    if (result.runningAt) deps.metrics?.containerStarted((result.runningAt.getTime() - askedAt) / 1000);
    return await finishRun(deps, spec, worktree, attrs, {
      result,
      output,
      net,
      reporter,
      reason: stop.reason(),
      startedAt,
      imageDigest: image.digest,
      runtimeVersion: image.labels[`pancode.version.${spec.agent.runtime}`] ?? "",
    });
  } finally {
    await net.close();
  }
}

/** Status, usage (the proxy's, cross-checked against the agent's), patch: the outcome CompleteRun reports. */
async function finishRun(
  deps: ExecutionDeps,
  spec: RunSpec,
  worktree: PreparedWorktree,
  attrs: Record<string, string | number>,
  run: {
    result: Awaited<ReturnType<ContainerRuntime["run"]>>;
    output: AgentOutput;
    net: Awaited<ReturnType<typeof openRunNetwork>>;
    reporter: EventReporter;
    reason: StopReason | undefined;
    startedAt: Date;
    imageDigest: string;
    runtimeVersion: string;
  },
): Promise<RunOutcome> {
  const { result, output, reason } = run;
  const agentFailure = output.failure();
  const status = statusOf(result.exitCode, reason, agentFailure);
  const metered = run.net.meteredUsage();
  if (metered) {
    const warning = usageMismatch(output.usage(), metered);
    if (warning) run.reporter.safety("usage_mismatch", warning);
  }
  const usage = metered ?? output.usage();
  const error = status === "done" ? "" : failureReason({ reason, result, spec, agentFailure, costUsd: usage.costUsd });
  // A run stopped at its cap keeps the work it paid for, like a timed-out one.
  const patch = status === "interrupted" || spec.agent.readonly ? null : await computePatch(deps, worktree, attrs);
  const proxyUsage = run.net.proxy?.usage();
  return {
    status,
    exitCode: reason ? null : result.exitCode,
    error,
    startedAt: run.startedAt,
    finishedAt: result.finishedAt,
    patch: patch && { digest: patch.digest, bytes: patch.bytes, files: patch.files },
    ...(patch?.data ? { patchData: patch.data } : {}),
    imageDigest: run.imageDigest,
    runtimeVersion: run.runtimeVersion,
    usage,
    ...(proxyUsage
      ? {
          modelCalls: {
            calls: proxyUsage.calls,
            models: proxyUsage.models,
            inputTokens: proxyUsage.inputTokens,
            outputTokens: proxyUsage.outputTokens,
            cacheReadTokens: proxyUsage.cacheReadTokens,
            cacheWriteTokens: proxyUsage.cacheWriteTokens,
          },
        }
      : {}),
    outputTail: output.outputTail(),
  };
}

async function computePatch(
  deps: ExecutionDeps,
  worktree: PreparedWorktree,
  attrs: Record<string, string | number>,
): Promise<NonNullable<RunOutcome["patch"]> & { data?: Buffer }> {
  return withSpan("pancode.patch.compute", attrs, async (span) => {
    const { patch, files } = await deps.cache.computePatch(worktree);
    span.setAttribute("pancode.patch_bytes", patch.length);
    deps.metrics?.patchComputed(patch.length);
    if (patch.length === 0) return { digest: EMPTY_DIGEST, bytes: 0, files: [] };
    return { digest: sha256Digest(patch), bytes: patch.length, files, data: patch };
  });
}
