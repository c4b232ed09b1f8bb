import { type ChannelCredentials, Metadata } from "@grpc/grpc-js";
import {
  asBuffer,
  type BlobSource,
  bufferSource,
  collectBlob,
  MAX_BLOB_BYTES,
  MAX_MESSAGE_BYTES,
  verifiedChunks,
} from "./blob-stream.js";
import { type CallContext, readStream, unaryCall, uploadCall } from "./call.js";
import { coordinatorTarget } from "./coordinator-list.js";
import { bearerMetadata } from "./credentials.js";
import type { BlobRef, RunInfo } from "./gen/pancode/v1/common.js";
import {
  type AgentFile,
  type AuditEntry,
  type BatchInfo,
  type BudgetInfo,
  type ChainInfo,
  ClientServiceClient,
  type ClusterInfoResponse,
  type CostReport,
  type CreateBatchRequest,
  type CreateChainRequest,
  type CreateTokenRequest,
  type CreateTokenResponse,
  type DispatchRequest,
  type DispatchResponse,
  type DrainResponse,
  type ListAgentsResponse,
  type ListAuditRequest,
  type ListModelsResponse,
  type MetricsReport,
  type ReadmitWorkerResponse,
  type Receipt,
  type SigningKeyInfo,
  type StopRunRequest,
  type StopRunResponse,
  type TeamInfo,
  type TokenInfo,
  type UploadBlobRequest,
  type VerifyAuditResponse,
  type WatchRunRequest,
  type WatchRunResponse,
  type WhoAmIResponse,
} from "./gen/pancode/v1/coordinator.js";
import { injectTraceContext } from "./trace-metadata.js";

/** Options of {@link createClientApi}. */
export interface ClientApiOptions {
  address: string;
  token: string;
  credentials: ChannelCredentials;
  /** @default 30_000 */
  deadlineMs?: number;
}

/** A dispatch request whose repository agent files (none) and cost cap (0, the cluster's default) may be left out. */
export type DispatchRequestInput = Omit<DispatchRequest, "agentFiles" | "maxCostUsd" | "safety" | "timeoutMs"> & {
  agentFiles?: AgentFile[];
  maxCostUsd?: number;
  /** Session safety level; absent = "" = the coordinator's default, auto-edit. */
  safety?: string;
  /** Per-run timeout in ms; 0 or unset = the agent's own. */
  timeoutMs?: number;
};

/** Promise-based client of the coordinator's ClientService. Every error is a PanCodeError. */
export interface ClientApi {
  readonly address: string;
  /**
   * Starts connecting (TCP, TLS, HTTP/2) without waiting, so a caller with local work to do first (a workspace
   * snapshot) does not pay the handshake after it. Calls made later use this connection.
   */
  preconnect(): void;
  uploadBlob(kind: string, data: Uint8Array): Promise<BlobRef>;
  /** Uploads a blob read chunk by chunk as the coordinator takes it (e.g. from a file), never whole in memory. */
  uploadBlobFrom(kind: string, source: BlobSource): Promise<BlobRef>;
  hasCommit(repoId: string, commit: string): Promise<boolean>;
  dispatch(request: DispatchRequestInput): Promise<DispatchResponse>;
  getRun(runId: string): Promise<RunInfo>;
  /** The newest runs; `of` narrows them to one person (`user`, or `mine`: the caller) and/or one team. */
  listRuns(limit: number, of?: { user?: string; team?: string; mine?: boolean }): Promise<RunInfo[]>;
  watchRun(request: WatchRunRequest, signal?: AbortSignal): AsyncGenerator<WatchRunResponse>;
  fetchPatch(runId: string): Promise<Buffer>;
  /** The patch's bytes as they arrive, checked against its digest (the iteration throws on a mismatch at the end). */
  fetchPatchChunks(runId: string): AsyncIterable<Uint8Array>;
  getReceipt(id: string): Promise<Receipt>;
  /** Receipts, newest first. */
  listReceipts(limit: number): Promise<Receipt[]>;
  /** The cluster's receipt-signing public keys. */
  getKeys(): Promise<SigningKeyInfo[]>;
  /** Revokes a receipt-signing key by id or unique prefix; returns the key as it is now. */
  revokeKey(keyId: string, submitter?: string): Promise<SigningKeyInfo>;
  /** Lets a worker id whose key was revoked join again with a new key; returns the key it was bound to. */
  readmitWorker(workerId: string, submitter?: string): Promise<ReadmitWorkerResponse>;
  /** The cluster's agents, with the caller's repository definitions (if any) layered on top. */
  listAgents(agentFiles?: AgentFile[]): Promise<ListAgentsResponse>;
  clusterInfo(): Promise<ClusterInfoResponse>;
  /** The models the cluster can run, their prices, which workers serve each, and the default. */
  listModels(): Promise<ListModelsResponse>;
  /** The cluster-wide budget and the estimated cost of the next dispatch. */
  getBudget(team?: string): Promise<BudgetInfo>;
  /**
   * Sets the cluster's (or, with `team`, that team's) budget ceiling in USD (> 0, else INVALID_ARGUMENT); returns
   * the budget after the change. `submitter` is ignored by the coordinator (it records the token's name).
   */
  setBudget(ceilingUsd: number, submitter?: string, team?: string): Promise<BudgetInfo>;
  /** Audit entries, newest first. */
  listAudit(filter: Partial<ListAuditRequest>): Promise<AuditEntry[]>;
  /** Walks the audit hash chain on the coordinator. */
  verifyAudit(): Promise<VerifyAuditResponse>;
  /** Stops admissions on the coordinator; running runs finish. */
  drain(submitter?: string): Promise<DrainResponse>;
  /** Ends the cluster-wide drain. */
  undrain(submitter?: string): Promise<DrainResponse>;
  /** Starts a batch on the coordinator; the first item is admitted in the call. */
  createBatch(request: CreateBatchRequest): Promise<BatchInfo>;
  /** A batch by id or unique prefix, with its runs. */
  getBatch(id: string): Promise<BatchInfo>;
  /** Batches, newest first, without their runs. */
  listBatches(limit: number): Promise<BatchInfo[]>;
  /** Starts a chain (or a refine loop) on the coordinator; the first step is admitted in the call. */
  createChain(request: CreateChainRequest): Promise<ChainInfo>;
  getChain(id: string): Promise<ChainInfo>;
  listChains(limit: number): Promise<ChainInfo[]>;
  /** Stops a run, batch or chain (or the submitter's most recent active run). */
  stopRun(request: StopRunRequest): Promise<StopRunResponse>;
  /** Per-run cost breakdown of the newest `limit` runs (0 = 1000), with totals by agent and model. */
  getCost(limit?: number): Promise<CostReport>;
  /** Runs by status, cost, tokens and duration percentiles, overall and per agent. */
  getMetrics(): Promise<MetricsReport>;
  /** Who this client's token belongs to, and the coordinator's version. */
  whoAmI(): Promise<WhoAmIResponse>;
  /** Creates a person's token (admin); the answer holds the token, shown once. */
  createToken(request: CreateTokenRequest): Promise<CreateTokenResponse>;
  listTokens(): Promise<TokenInfo[]>;
  revokeToken(name: string): Promise<TokenInfo>;
  /** Creates a team or sets its max running runs (0 = no limit). */
  setTeam(name: string, maxRunning: number): Promise<TeamInfo>;
  listTeams(): Promise<TeamInfo[]>;
  close(): void;
}

/** Channel options shared by clients and servers: large enough for one chunk, small enough to refuse abuse. */
export const CHANNEL_OPTIONS = {
  "grpc.max_receive_message_length": MAX_MESSAGE_BYTES,
  "grpc.max_send_message_length": MAX_MESSAGE_BYTES,
} as const;

/**
 * A client's channel: no channelz. grpc-js otherwise records a trace of every state change and call for an admin
 * service nobody queries on a client, and `pancode` pays for it on each command's start.
 */
const CLIENT_CHANNEL_OPTIONS = { ...CHANNEL_OPTIONS, "grpc.enable_channelz": 0 } as const;

/** Creates a client of the coordinator's ClientService. */
export function createClientApi(options: ClientApiOptions): ClientApi {
  const client = new ClientServiceClient(
    coordinatorTarget(options.address),
    options.credentials,
    CLIENT_CHANNEL_OPTIONS,
  );
  const ctx: CallContext = {
    address: options.address,
    deadlineMs: options.deadlineMs ?? 30_000,
    metadata: () => injectTraceContext(options.token ? bearerMetadata(options.token) : new Metadata()),
  };
  const uploadBlobFrom = (kind: string, source: BlobSource): Promise<BlobRef> => {
    async function* messages(): AsyncGenerator<UploadBlobRequest> {
      yield { header: { digest: source.digest, size: source.size, kind }, data: Buffer.alloc(0) };
      for await (const data of source.chunks()) yield { header: undefined, data: asBuffer(data) };
    }
    return uploadCall(ctx, (md, opts, cb) => client.uploadBlob(md, opts, cb), messages());
  };
  return {
    address: options.address,
    // `true` asks an idle channel to connect; the state itself is not needed.
    preconnect: () => void client.getChannel().getConnectivityState(true),
    uploadBlob: (kind, data) => uploadBlobFrom(kind, bufferSource(data)),
    uploadBlobFrom,
    async hasCommit(repoId, commit) {
      const res = await unaryCall(ctx, client.hasCommit.bind(client), { repoId, commit });
      return res.present;
    },
    dispatch: (request) =>
      unaryCall(ctx, client.dispatch.bind(client), {
        ...request,
        agentFiles: request.agentFiles ?? [],
        maxCostUsd: request.maxCostUsd ?? 0,
        safety: request.safety ?? "",
        timeoutMs: request.timeoutMs ?? 0,
      }),
    getRun: (runId) => unaryCall(ctx, client.getRun.bind(client), { runId }),
    async listRuns(limit, of = {}) {
      const request = { limit, user: of.user ?? "", team: of.team ?? "", mine: of.mine ?? false };
      return (await unaryCall(ctx, client.listRuns.bind(client), request)).runs;
    },
    watchRun(request, signal) {
      return readStream(ctx, client.watchRun(request, ctx.metadata()), signal);
    },
    async fetchPatch(runId) {
      return collectBlob(readStream(ctx, client.fetchPatch({ runId }, ctx.metadata())), MAX_BLOB_BYTES);
    },
    fetchPatchChunks: (runId) =>
      verifiedChunks(readStream(ctx, client.fetchPatch({ runId }, ctx.metadata())), MAX_BLOB_BYTES),
    getReceipt: (id) => unaryCall(ctx, client.getReceipt.bind(client), { id }),
    async listReceipts(limit) {
      return (await unaryCall(ctx, client.listReceipts.bind(client), { limit })).receipts;
    },
    async getKeys() {
      return (await unaryCall(ctx, client.getKeys.bind(client), {})).keys;
    },
    revokeKey: (keyId, submitter = "") => unaryCall(ctx, client.revokeKey.bind(client), { keyId, submitter }),
    readmitWorker: (workerId, submitter = "") =>
      unaryCall(ctx, client.readmitWorker.bind(client), { workerId, submitter }),
    listAgents: (agentFiles = []) => unaryCall(ctx, client.listAgents.bind(client), { agentFiles }),
    clusterInfo: () => unaryCall(ctx, client.clusterInfo.bind(client), {}),
    listModels: () => unaryCall(ctx, client.listModels.bind(client), {}),
    getBudget: (team = "") => unaryCall(ctx, client.getBudget.bind(client), { team }),
    setBudget: (ceilingUsd, submitter = "", team = "") =>
      unaryCall(ctx, client.setBudget.bind(client), { ceilingUsd, submitter, team }),
    async listAudit(filter) {
      const request = { category: filter.category ?? "", runId: filter.runId ?? "", limit: filter.limit ?? 0 };
      return (await unaryCall(ctx, client.listAudit.bind(client), request)).entries;
    },
    verifyAudit: () => unaryCall(ctx, client.verifyAudit.bind(client), {}),
    drain: (submitter = "") => unaryCall(ctx, client.drain.bind(client), { submitter }),
    undrain: (submitter = "") => unaryCall(ctx, client.undrain.bind(client), { submitter }),
    createBatch: (request) => unaryCall(ctx, client.createBatch.bind(client), request),
    getBatch: (id) => unaryCall(ctx, client.getBatch.bind(client), { id }),
    async listBatches(limit) {
      return (await unaryCall(ctx, client.listBatches.bind(client), { limit })).batches;
    },
    createChain: (request) => unaryCall(ctx, client.createChain.bind(client), request),
    getChain: (id) => unaryCall(ctx, client.getChain.bind(client), { id }),
    async listChains(limit) {
      return (await unaryCall(ctx, client.listChains.bind(client), { limit })).chains;
    },
    stopRun: (request) => unaryCall(ctx, client.stopRun.bind(client), request),
    getCost: (limit = 0) => unaryCall(ctx, client.getCost.bind(client), { limit }),
    getMetrics: () => unaryCall(ctx, client.getMetrics.bind(client), {}),
    whoAmI: () => unaryCall(ctx, client.whoAmI.bind(client), {}),
    createToken: (request) => unaryCall(ctx, client.createToken.bind(client), request),
    async listTokens() {
      return (await unaryCall(ctx, client.listTokens.bind(client), {})).tokens;
    },
    revokeToken: (name) => unaryCall(ctx, client.revokeToken.bind(client), { name }),
    setTeam: (name, maxRunning) => unaryCall(ctx, client.setTeam.bind(client), { name, maxRunning }),
    async listTeams() {
      return (await unaryCall(ctx, client.listTeams.bind(client), {})).teams;
    },
    close: () => client.close(),
  };
}
