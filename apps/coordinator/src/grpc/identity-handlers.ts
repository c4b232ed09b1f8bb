import { PanCodeError } from "@pancode/core";
import type { ClientServiceServer, TeamInfo, TokenInfo } from "@pancode/proto";
import type { ApiTokenRow, ApiTokens } from "../services/api-tokens.js";
import type { AuditLog } from "../services/audit-log.js";
import type { TeamRow, Teams } from "../services/teams.js";
import { actorOf, type HandlerContext, unary } from "./handlers.js";

/** The ClientService methods of people, tokens and teams. */
export type IdentityHandlers = Pick<
  ClientServiceServer,
  "whoAmI" | "createToken" | "listTokens" | "revokeToken" | "setTeam" | "listTeams"
>;

/** What the identity handlers need. */
export interface IdentityDeps {
  tokens: ApiTokens;
  teams: Teams;
  audit: AuditLog;
  version: string;
}

const iso = (d: Date | null): string => d?.toISOString() ?? "";

function tokenInfo(row: ApiTokenRow): TokenInfo {
  return {
    name: row.name,
    role: row.role,
    team: row.team ?? "",
    createdAt: iso(row.createdAt),
    expiresAt: iso(row.expiresAt),
    revokedAt: iso(row.revokedAt),
    lastUsedAt: iso(row.lastUsedAt),
  };
}

function teamInfo(row: TeamRow): TeamInfo {
  return {
    name: row.name,
    maxRunning: row.maxRunning ?? 0,
    budgetCeilingUsd: row.budgetCeilingUsd ?? 0,
    spentUsd: row.spentUsd,
    reservedUsd: row.reservedUsd,
    createdAt: iso(row.createdAt),
  };
}

/** Builds WhoAmI and the token and team management methods (roles are checked before these run). */
export function createIdentityHandlers(hc: HandlerContext, deps: IdentityDeps): IdentityHandlers {
  return {
    whoAmI: unary(hc, "WhoAmI", async (_req, _trace, caller) => {
      if (caller.kind !== "user") {
        return { name: actorOf(caller), role: "", team: "", version: deps.version, expiresAt: "" };
      }
      const row = (await deps.tokens.list()).find((t) => t.name === caller.name);
      return {
        name: caller.name,
        role: caller.role,
        team: caller.team ?? "",
        version: deps.version,
        expiresAt: iso(row?.expiresAt ?? null),
      };
    }),
    createToken: unary(hc, "CreateToken", async (req, _trace, caller) => {
      const { row, token } = await deps.tokens.create(req);
      await deps.audit.record({
        category: "tokens",
        action: "token_created",
        actor: actorOf(caller),
        message: `token ${row.name} created (role ${row.role}${row.team ? `, team ${row.team}` : ""})`,
        data: { name: row.name, role: row.role, team: row.team, expiresAt: iso(row.expiresAt) },
      });
      return { info: tokenInfo(row), token };
    }),
    listTokens: unary(hc, "ListTokens", async () => ({ tokens: (await deps.tokens.list()).map(tokenInfo) })),
    revokeToken: unary(hc, "RevokeToken", async (req, _trace, caller) => {
      if (!req.name)
        throw new PanCodeError("INVALID_ARGUMENT", "name the token to revoke: pancode tokens revoke <name>");
      const row = await deps.tokens.revoke(req.name);
      await deps.audit.record({
        category: "tokens",
        action: "token_revoked",
        actor: actorOf(caller),
        message: `token ${row.name} revoked`,
        data: { name: row.name },
      });
      return tokenInfo(row);
    }),
    setTeam: unary(hc, "SetTeam", async (req) => teamInfo(await deps.teams.setMaxRunning(req.name, req.maxRunning))),
    listTeams: unary(hc, "ListTeams", async () => ({ teams: (await deps.teams.list()).map(teamInfo) })),
  };
}
