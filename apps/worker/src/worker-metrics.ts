import type { Meter } from "@opentelemetry/api";
import type { MeteredCall } from "@pancode/model-proxy";

/** What a run's execution tells the worker's metrics. */
export interface ExecutionMetrics {
  /** Seconds from asking the sandbox for the run to its command running (create, attach, start). */
  containerStarted(seconds: number): void;
  workspacePrepared(seconds: number): void;
  patchComputed(bytes: number): void;
  modelCall(call: MeteredCall): void;
}

/** Seconds: a warm `docker start` to a cold clone of a large repository. */
const SETUP_BUCKETS_S = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120];
/** Bytes of a patch: empty to the 64 MiB transport ceiling. */
const PATCH_BUCKETS_BY = [0, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];
/** Seconds of a model call: a cached answer to a long streamed generation. */
const MODEL_BUCKETS_S = [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300];

/**
 * The worker's OpenTelemetry instruments, named like the coordinator's (Prometheus name with dots, unit included):
 * - `pancode_worker_slots{worker}`, `pancode_worker_active_runs{worker}` (gauges, read at collection time);
 * - `pancode_container_start_seconds`, `pancode_workspace_prepare_seconds`, `pancode_patch_bytes` (histograms);
 * - `pancode_model_requests_total{provider,model,status}` and `pancode_model_request_duration_seconds{provider,model,
 *   status}` for every call through a run's model proxy (status: the HTTP status the provider answered).
 */
export class WorkerMetrics implements ExecutionMetrics {
  private readonly containerStart;
  private readonly workspacePrepare;
  private readonly patchBytes;
  private readonly modelRequests;
  private readonly modelDuration;

  constructor(meter: Meter, state: { workerId: string; slots: number; activeRuns: () => number }) {
    // By worker: under `pancode up` several workers share the process's provider (and its scrape).
    const worker = { worker: state.workerId };
    meter
      .createObservableGauge("pancode.worker.slots", { description: "Runs this worker may execute at once" })
      .addCallback((result) => result.observe(state.slots, worker));
    meter
      .createObservableGauge("pancode.worker.active.runs", { description: "Runs this worker is executing" })
      .addCallback((result) => result.observe(state.activeRuns(), worker));
    this.containerStart = meter.createHistogram("pancode.container.start.seconds", {
      description: "Time from asking the sandbox for a run to its command running",
      unit: "s",
      advice: { explicitBucketBoundaries: SETUP_BUCKETS_S },
    });
    this.workspacePrepare = meter.createHistogram("pancode.workspace.prepare.seconds", {
      description: "Time to materialise a run's starting workspace (mirror, worktree, patches)",
      unit: "s",
      advice: { explicitBucketBoundaries: SETUP_BUCKETS_S },
    });
    this.patchBytes = meter.createHistogram("pancode.patch.bytes", {
      description: "Size of the patch a run produced",
      unit: "By",
      advice: { explicitBucketBoundaries: PATCH_BUCKETS_BY },
    });
    this.modelRequests = meter.createCounter("pancode.model.requests", {
      description: "Model calls through the runs' model proxies, by provider, model and HTTP status",
    });
    this.modelDuration = meter.createHistogram("pancode.model.request.duration.seconds", {
      description: "Duration of model calls through the runs' model proxies",
      unit: "s",
      advice: { explicitBucketBoundaries: MODEL_BUCKETS_S },
    });
  }

  containerStarted(seconds: number): void {
    this.containerStart.record(seconds);
  }

  workspacePrepared(seconds: number): void {
    this.workspacePrepare.record(seconds);
  }

  patchComputed(bytes: number): void {
    this.patchBytes.record(bytes);
  }

  modelCall(call: MeteredCall): void {
    const attrs = { provider: call.provider, model: call.model, status: String(call.status) };
    this.modelRequests.add(1, attrs);
    this.modelDuration.record(call.durationMs / 1000, attrs);
  }
}
