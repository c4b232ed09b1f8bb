/**
 * @pancode/core: the domain vocabulary of PanCode Cluster (runs, statuses, patches, task messages, error codes).
 *
 * ```ts
 * import { PanCodeError, isTerminalStatus } from "@pancode/core";
 * if (!isTerminalStatus(run.status)) throw new PanCodeError("INVALID_ARGUMENT", `run ${run.id} is still running`);
 * ```
 */
export { AgentEvent, addUsage, Usage, ZERO_USAGE } from "./agent-event.js";
export { DIGEST_PREFIX, EMPTY_DIGEST, isDigest, sha256Digest } from "./digest.js";
export {
  ERROR_CODES,
  type ErrorCode,
  isErrorCode,
  isPanCodeError,
  PanCodeError,
  type PanCodeErrorOptions,
  toError,
} from "./errors.js";
export { type LoggerPort, type LogMeta, silentLogger } from "./logger-port.js";
export { ModelPrice, ModelTarget } from "./model-target.js";
export { PatchFile, PatchFileStatus, PatchSummary } from "./patch.js";
export { NetworkPolicy, ResolvedAgent, RunSpec, SandboxLimits, WorkspaceRef } from "./run.js";
export { Completion, ReceiptFacts, RunAssignment, RunGrant } from "./run-contract.js";
export { RUN_SAFETY_ACTIONS, RunEvent, RunEventKind, type RunSafetyAction } from "./run-event.js";
export {
  EMPTY_PROGRESS,
  foldAgentEventTexts,
  foldProgress,
  type RunProgress,
  totalTokens,
} from "./run-progress.js";
export { RunStatus } from "./run-status.js";
export { TaskMessage } from "./task-message.js";
export { isTerminalStatus, TERMINAL_STATUSES } from "./terminal-status.js";
