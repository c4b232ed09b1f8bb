import { type KeyObject, sign } from "node:crypto";
import { type ChannelCredentials, Metadata } from "@grpc/grpc-js";
import { asBuffer, bufferSource, collectBlob, MAX_BLOB_BYTES, verifiedChunks } from "./blob-stream.js";
import { type CallContext, readStream, unaryCall, uploadCall } from "./call.js";
import { CHANNEL_OPTIONS } from "./client-api.js";
import { coordinatorTarget } from "./coordinator-list.js";
import { bearerMetadata } from "./credentials.js";
import type { BlobRef } from "./gen/pancode/v1/common.js";
import {
  type ClaimRunRequest,
  type ClaimRunResponse,
  type CompleteRunRequest,
  type CompleteRunResponse,
  type HeartbeatResponse,
  type RegisterRequest,
  type RegisterResponse,
  type ReportedEvent,
  type RunLease,
  type UploadPatchRequest,
  WorkerServiceClient,
} from "./gen/pancode/v1/worker.js";
import { injectTraceContext } from "./trace-metadata.js";
import { registrationPayload, WORKER_SESSION_HEADER } from "./worker-identity.js";

/** Options of {@link createWorkerApi}. */
export interface WorkerApiOptions {
  address: string;
  token: string;
  credentials: ChannelCredentials;
  /** @default 30_000 */
  deadlineMs?: number;
}

/** Promise-based client of the coordinator's WorkerService. Every error is a PanCodeError. */
export interface WorkerApi {
  /**
   * Registers `request.workerId`, proving `privateKey` (the half of `request.publicKeyPem`) by signing the
   * coordinator's challenge. The session it returns is sent on this worker's later calls.
   */
  register(
    request: Omit<RegisterRequest, "challenge" | "signature" | "offers"> & Partial<Pick<RegisterRequest, "offers">>,
    privateKey: KeyObject | undefined,
  ): Promise<RegisterResponse>;
  heartbeat(workerId: string, activeRunIds: string[]): Promise<HeartbeatResponse>;
  claimRun(request: ClaimRunRequest): Promise<ClaimRunResponse>;
  fetchBlob(lease: RunLease, digest: string): Promise<Buffer>;
  /** The blob's bytes as they arrive, checked against its digest (the iteration throws on a mismatch at the end). */
  fetchBlobChunks(lease: RunLease, digest: string): AsyncIterable<Uint8Array>;
  /** Returns true when the attempt is stale (superseded or the run ended): the worker must stop. */
  reportEvents(lease: RunLease, events: ReportedEvent[]): Promise<boolean>;
  uploadPatch(lease: RunLease, patch: Uint8Array): Promise<BlobRef>;
  completeRun(request: CompleteRunRequest): Promise<CompleteRunResponse>;
  close(): void;
}

/** Creates a client of the coordinator's WorkerService. */
export function createWorkerApi(options: WorkerApiOptions): WorkerApi {
  const client = new WorkerServiceClient(coordinatorTarget(options.address), options.credentials, CHANNEL_OPTIONS);
  // One client may speak for several worker ids (tests do): each id has its session, each claimed run its worker's.
  const sessions = new Map<string, string>();
  const runWorkers = new Map<string, string>();
  let lastSession = "";
  const base = (session: string): CallContext => ({
    address: options.address,
    deadlineMs: options.deadlineMs ?? 30_000,
    metadata: () => {
      const metadata = options.token ? bearerMetadata(options.token) : new Metadata();
      if (session) metadata.set(WORKER_SESSION_HEADER, session);
      return injectTraceContext(metadata);
    },
  });
  const asWorker = (workerId: string) => base(sessions.get(workerId) ?? lastSession);
  const forRun = (runId: string | undefined) => asWorker(runWorkers.get(runId ?? "") ?? "");
  const anonymous = base("");
  return {
    async register(request, privateKey) {
      const { challenge } = await unaryCall(anonymous, client.registerChallenge.bind(client), {
        workerId: request.workerId,
      });
      const signature = privateKey
        ? sign(null, registrationPayload(request.workerId, challenge), privateKey)
        : Buffer.alloc(0);
      const answer = await unaryCall(anonymous, client.register.bind(client), {
        offers: [],
        ...request,
        challenge,
        signature,
      });
      sessions.set(request.workerId, answer.sessionToken);
      lastSession = answer.sessionToken;
      return answer;
    },
    heartbeat: (workerId, activeRunIds) =>
      unaryCall(asWorker(workerId), client.heartbeat.bind(client), { workerId, activeRunIds }),
    async claimRun(request) {
      const answer = await unaryCall(asWorker(request.workerId), client.claimRun.bind(client), request);
      if (answer.spec) runWorkers.set(request.runId, request.workerId);
      return answer;
    },
    fetchBlob(lease, digest) {
      const ctx = forRun(lease.runId);
      return collectBlob(readStream(ctx, client.fetchBlob({ lease, digest }, ctx.metadata())), MAX_BLOB_BYTES);
    },
    fetchBlobChunks(lease, digest) {
      const ctx = forRun(lease.runId);
      return verifiedChunks(readStream(ctx, client.fetchBlob({ lease, digest }, ctx.metadata())), MAX_BLOB_BYTES);
    },
    async reportEvents(lease, events) {
      return (await unaryCall(forRun(lease.runId), client.reportEvents.bind(client), { lease, events })).stale;
    },
    uploadPatch(lease, patch) {
      const source = bufferSource(patch);
      async function* messages(): AsyncGenerator<UploadPatchRequest> {
        yield { lease, header: { digest: source.digest, size: source.size, kind: "patch" }, data: Buffer.alloc(0) };
        for await (const data of source.chunks()) yield { lease: undefined, header: undefined, data: asBuffer(data) };
      }
      return uploadCall(forRun(lease.runId), (md, opts, cb) => client.uploadPatch(md, opts, cb), messages());
    },
    async completeRun(request: CompleteRunRequest): Promise<CompleteRunResponse> {
      const answer = await unaryCall(forRun(request.lease?.runId), client.completeRun.bind(client), request);
      runWorkers.delete(request.lease?.runId ?? "");
      return answer;
    },
    close: () => client.close(),
  };
}
