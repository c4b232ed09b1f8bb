import { PanCodeError } from "@pancode/core";
import {
  assignmentToWire,
  type BlobRef,
  type CompleteRunRequest,
  completionFromWire,
  downloadChunks,
  type RunLease,
  type UploadPatchRequest,
  type WorkerServiceServer,
} from "@pancode/proto";
import type { Logger } from "@pancode/telemetry";
import { offerFromWire } from "../services/model-directory.js";
import type { Lease, LeasedCompletion, RunLifecycle } from "../services/run-lifecycle.js";
import type { WorkerDirectory, WorkerSandbox } from "../services/worker-directory.js";
import type { WorkerIdentities } from "../services/worker-identities.js";
import { openUpload, UPLOAD_LIMIT_SETTING } from "./blob-upload.js";
import { type Caller, clientStream, type HandlerContext, serverStream, unary } from "./handlers.js";
import type { Implementation } from "./status.js";

/** Dependencies of the worker-facing service. */
export interface WorkerServiceDeps {
  token: string;
  logger: Logger;
  lifecycle: RunLifecycle;
  workers: WorkerDirectory;
  identities: WorkerIdentities;
  heartbeatMs: number;
  leaseMs: number;
  maxPatchBytes: number;
  /** Mints the run token a run's container gets for nested dispatch; absent = no nested dispatch. */
  mintRunToken?: (runId: string) => string;
}

/** The one kind of blob a worker uploads. */
const PATCH_KINDS: ReadonlySet<string> = new Set(["patch"]);

/** Methods a worker calls before it has a session. */
const SESSIONLESS_METHODS: ReadonlySet<string> = new Set(["RegisterChallenge", "Register"]);

/** A worker may speak only for itself: the id in the request must be the id its session proves. */
function requireSelf(caller: Caller, workerId: string): void {
  if (caller.kind !== "worker" || caller.workerId !== workerId) {
    const who = caller.kind === "worker" ? `worker ${caller.workerId}` : "a caller without a worker session";
    throw new PanCodeError("UNAUTHENTICATED", `${who} may not act as worker ${workerId || "(none)"}`);
  }
}

/** The lease of a call, bound to the caller's worker session: only the worker holding the attempt may use it. */
function leaseOf(lease: RunLease | undefined, caller: Caller): Lease {
  if (!lease?.runId || !lease.leaseToken || lease.attempt < 1) {
    throw new PanCodeError("INVALID_ARGUMENT", "a run lease (run id, attempt, lease token) is required");
  }
  const holder = caller.kind === "worker" ? caller.workerId : undefined;
  return { runId: lease.runId, attempt: lease.attempt, leaseToken: lease.leaseToken, holder };
}

function parseDate(value: string, field: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime()))
    throw new PanCodeError("INVALID_ARGUMENT", `${field} is not a timestamp: "${value}"`);
  return date;
}

function completionOf(req: CompleteRunRequest, caller: Caller): LeasedCompletion {
  return { lease: leaseOf(req.lease, caller), ...completionFromWire(req) };
}

/** Builds the WorkerService implementation. */
export function createWorkerService(deps: WorkerServiceDeps): Implementation {
  const hc: HandlerContext = {
    token: deps.token,
    who: "worker",
    logger: deps.logger,
    workerSessions: { exempt: SESSIONLESS_METHODS, verify: (token) => deps.identities.verifySession(token) },
  };
  const service: WorkerServiceServer = {
    registerChallenge: unary(hc, "RegisterChallenge", async (req) => ({
      challenge: deps.identities.challenge(req.workerId),
    })),
    register: unary(hc, "Register", async (req) => {
      if (!req.workerId) throw new PanCodeError("INVALID_ARGUMENT", "workerId is required");
      const { sessionToken } = await deps.identities.admit({
        workerId: req.workerId,
        publicKeyPem: req.publicKeyPem,
        challenge: req.challenge,
        signature: req.signature,
      });
      const sandbox: WorkerSandbox = req.sandbox === "process" ? "process" : "docker";
      await deps.workers.register({
        id: req.workerId,
        pool: req.pool || "default",
        sandbox,
        capacity: req.capacity,
        version: req.version,
        runtimes: req.runtimes,
        providers: req.providers,
        offer: offerFromWire(req.workerId, req.offers, deps.logger),
      });
      return { heartbeatIntervalMs: deps.heartbeatMs, leaseMs: deps.leaseMs, sessionToken };
    }),
    heartbeat: unary(hc, "Heartbeat", async (req, _trace, caller) => {
      requireSelf(caller, req.workerId);
      const known = await deps.workers.heartbeat(req.workerId, req.activeRunIds.length);
      if (!known) throw new PanCodeError("NOT_FOUND", `worker ${req.workerId} is not registered; register again`);
      return { cancelRunIds: await deps.lifecycle.heartbeat(req.workerId, req.activeRunIds) };
    }),
    claimRun: unary(hc, "ClaimRun", async (req, _trace, caller) => {
      requireSelf(caller, req.workerId);
      const result = await deps.lifecycle.claim(req.runId, req.workerId);
      if ("skip" in result) return { spec: undefined, skipReason: result.skip, retryAfterMs: result.retryAfterMs };
      // Every run may reach the coordinator (a container through its run's socket relay, with no network).
      const runToken = deps.mintRunToken ? deps.mintRunToken(result.spec.runId) : "";
      const spec = assignmentToWire({ ...result, grant: { ...result.grant, runToken } });
      return { skipReason: "", retryAfterMs: 0, spec };
    }),
    fetchBlob: serverStream(hc, "FetchBlob", async function* (req, _signal, caller) {
      const blob = await deps.lifecycle.workspaceBlob(leaseOf(req.lease, caller), req.digest);
      yield* downloadChunks(blob, blob.chunks());
    }),
    reportEvents: unary(hc, "ReportEvents", async (req, _trace, caller) => {
      const events = req.events.map((e) => ({ at: parseDate(e.at, "event.at"), kind: e.kind, text: e.text }));
      return { stale: await deps.lifecycle.report(leaseOf(req.lease, caller), events) };
    }),
    uploadPatch: clientStream(
      hc,
      "UploadPatch",
      async (messages: AsyncIterable<UploadPatchRequest>, caller): Promise<BlobRef> => {
        const { first, header, data } = await openUpload(messages, PATCH_KINDS);
        const lease = leaseOf(first.lease, caller);
        const { digest, size } = header;
        const patch = { digest, size, maxBytes: deps.maxPatchBytes, limitSetting: UPLOAD_LIMIT_SETTING };
        await deps.lifecycle.storePatch(lease, patch, data);
        return { digest, size };
      },
    ),
    completeRun: unary(hc, "CompleteRun", async (req, _trace, caller) =>
      deps.lifecycle.complete(completionOf(req, caller)),
    ),
  };
  return service as unknown as Implementation;
}
