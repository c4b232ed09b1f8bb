import { type ChannelCredentials, Metadata } from "@grpc/grpc-js";
import { sha256Digest } from "@pancode/core";
import { chunksOf, collectBlob, MAX_BLOB_BYTES } from "./blob-stream.js";
import { type CallContext, readStream, unaryCall, uploadCall } from "./call.js";
import { CHANNEL_OPTIONS } from "./client-api.js";
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
  /** Registers (again); `offers` defaults to none (a worker under a cluster config file discovers nothing). */
  register(
    request: Omit<RegisterRequest, "offers"> & Partial<Pick<RegisterRequest, "offers">>,
  ): Promise<RegisterResponse>;
  heartbeat(workerId: string, activeRunIds: string[]): Promise<HeartbeatResponse>;
  claimRun(request: ClaimRunRequest): Promise<ClaimRunResponse>;
  fetchBlob(lease: RunLease, digest: string): Promise<Buffer>;
  /** Returns true when the attempt is stale (superseded or the run ended): the worker must stop. */
  reportEvents(lease: RunLease, events: ReportedEvent[]): Promise<boolean>;
  uploadPatch(lease: RunLease, patch: Uint8Array): Promise<BlobRef>;
  completeRun(request: CompleteRunRequest): Promise<CompleteRunResponse>;
  close(): void;
}

/** Creates a client of the coordinator's WorkerService. */
export function createWorkerApi(options: WorkerApiOptions): WorkerApi {
  const client = new WorkerServiceClient(options.address, options.credentials, CHANNEL_OPTIONS);
  const ctx: CallContext = {
    address: options.address,
    deadlineMs: options.deadlineMs ?? 30_000,
    metadata: () => injectTraceContext(options.token ? bearerMetadata(options.token) : new Metadata()),
  };
  return {
    register: (request) => unaryCall(ctx, client.register.bind(client), { offers: [], ...request }),
    heartbeat: (workerId, activeRunIds) => unaryCall(ctx, client.heartbeat.bind(client), { workerId, activeRunIds }),
    claimRun: (request) => unaryCall(ctx, client.claimRun.bind(client), request),
    fetchBlob: (lease, digest) =>
      collectBlob(readStream(ctx, client.fetchBlob({ lease, digest }, ctx.metadata())), MAX_BLOB_BYTES),
    async reportEvents(lease, events) {
      return (await unaryCall(ctx, client.reportEvents.bind(client), { lease, events })).stale;
    },
    uploadPatch(lease, patch) {
      const header = { digest: sha256Digest(patch), size: patch.length, kind: "patch" };
      const messages: UploadPatchRequest[] = [{ lease, header, data: Buffer.alloc(0) }];
      for (const chunk of chunksOf(patch)) messages.push({ lease: undefined, header: undefined, data: chunk });
      return uploadCall(ctx, (md, opts, cb) => client.uploadPatch(md, opts, cb), messages);
    },
    completeRun: (request: CompleteRunRequest): Promise<CompleteRunResponse> =>
      unaryCall(ctx, client.completeRun.bind(client), request),
    close: () => client.close(),
  };
}
