import { PanCodeError } from "@pancode/core";
import type { ApiRole } from "../services/api-tokens.js";

/**
 * The least role each ClientService method needs. Checked in one place (handlers.ts `authenticate`) before any
 * handler runs; a method missing here is refused for everyone, so a new RPC is closed until it is listed.
 */
export const CLIENT_METHOD_ROLES: Readonly<Record<string, ApiRole>> = {
  // Reads.
  GetRun: "viewer",
  ListRuns: "viewer",
  WatchRun: "viewer",
  FetchPatch: "viewer",
  GetReceipt: "viewer",
  ListReceipts: "viewer",
  GetKeys: "viewer",
  ListAgents: "viewer",
  ClusterInfo: "viewer",
  ListModels: "viewer",
  GetBudget: "viewer",
  ListAudit: "viewer",
  VerifyAudit: "viewer",
  GetBatch: "viewer",
  ListBatches: "viewer",
  GetChain: "viewer",
  ListChains: "viewer",
  GetCost: "viewer",
  GetMetrics: "viewer",
  WhoAmI: "viewer",
  ListTeams: "viewer",
  // Submitting work (and stopping one's own or one's team's; StopRun checks whose run it is).
  UploadBlob: "member",
  HasCommit: "member",
  Dispatch: "member",
  CreateBatch: "member",
  CreateChain: "member",
  StopRun: "member",
  // Running the cluster.
  SetBudget: "admin",
  RevokeKey: "admin",
  ReadmitWorker: "admin",
  Drain: "admin",
  Undrain: "admin",
  CreateToken: "admin",
  ListTokens: "admin",
  RevokeToken: "admin",
  SetTeam: "admin",
};

const RANK: Record<ApiRole, number> = { viewer: 0, member: 1, admin: 2 };

/** Methods the CLI calls as steps of another command, named after that command in refusals. */
const PART_OF: Readonly<Record<string, string>> = { UploadBlob: "dispatch", HasCommit: "dispatch" };

/** What the refusal calls a method: "SetBudget" -> "set budget". */
function describe(method: string): string {
  return PART_OF[method] ?? method.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
}

/** Whether `role` is at least `needed`. */
function hasRole(role: ApiRole, needed: ApiRole): boolean {
  return RANK[role] >= RANK[needed];
}

/** PERMISSION_DENIED (one line naming the role needed) unless `user` may call `method`; unknown methods are refused. */
export function requireRole(method: string, user: { name: string; role: ApiRole }): void {
  const needed = CLIENT_METHOD_ROLES[method];
  if (!needed) {
    throw new PanCodeError("PERMISSION_DENIED", `${method} is not open to client tokens`);
  }
  if (!hasRole(user.role, needed)) {
    throw new PanCodeError(
      "PERMISSION_DENIED",
      `${describe(method)} needs role ${needed}; you are ${user.name} (${user.role})`,
    );
  }
}
