import {
  auditEntryJson,
  auditVerifyJson,
  budgetJson,
  type CostReport,
  type CostTotal,
  type RunCost,
  workerJson,
} from "@pancode/proto";
import { type ApiContext, type ApiHandler, intParam, jsonBody, stringField } from "../context.js";
import { HttpError } from "../errors.js";
import type { Route } from "../router.js";

/** `GET /api/v1/budget`: the cluster's budget and each team's, as `pancode budget [--team T] --json`. */
async function budget(ctx: ApiContext) {
  const [cluster, { teams }] = await Promise.all([
    ctx.api.unary("getBudget", { team: "" }, ctx.token),
    ctx.api.unary("listTeams", {}, ctx.token),
  ]);
  const perTeam = await Promise.all(teams.map((t) => ctx.api.unary("getBudget", { team: t.name }, ctx.token)));
  return { json: { cluster: budgetJson(cluster), teams: perTeam.map(budgetJson) } };
}

/** `PUT /api/v1/budget {usd, team?}` (admin): as `pancode budget set <usd> [--team T] --json`. */
async function setBudget(ctx: ApiContext) {
  const body = await jsonBody(ctx.req);
  const usd = body.usd;
  if (typeof usd !== "number" || !Number.isFinite(usd) || usd <= 0) {
    throw new HttpError(400, "invalid_argument", 'field "usd" must be a positive number of US dollars (e.g. 25)');
  }
  const team = stringField(body, "team");
  return { json: budgetJson(await ctx.api.unary("setBudget", { ceilingUsd: usd, submitter: "", team }, ctx.token)) };
}

const COST_GROUPS = { agent: "byAgent", model: "byModel", user: "byUser", team: "byTeam" } as const;
type CostGroup = keyof typeof COST_GROUPS;

/** Totals of `runs` per value of `key` (costliest first), as the coordinator's cost report groups them. */
function totalsBy(runs: readonly RunCost[], key: (r: RunCost) => string): CostTotal[] {
  const totals = new Map<string, CostTotal>();
  for (const r of runs) {
    const k = key(r);
    const t = totals.get(k) ?? { key: k, runs: 0, tokens: 0, costUsd: 0 };
    t.runs += 1;
    t.tokens += r.tokens;
    t.costUsd += r.costUsd;
    totals.set(k, t);
  }
  return [...totals.values()].sort((a, b) => b.costUsd - a.costUsd);
}

/** The report narrowed to runs created at or after `since`, its totals recounted. */
function since(report: CostReport, from: number): CostReport {
  const runs = report.runs.filter((r) => Date.parse(r.createdAt) >= from);
  return {
    runs,
    byAgent: totalsBy(runs, (r) => r.agent),
    byModel: totalsBy(runs, (r) => r.model),
    byUser: totalsBy(runs, (r) => r.user),
    byTeam: totalsBy(runs, (r) => r.team),
    total: totalsBy(runs, () => "")[0] ?? { key: "", runs: 0, tokens: 0, costUsd: 0 },
  };
}

/** `GET /api/v1/cost?by=agent|model|user|team&since=<RFC 3339>&limit=`: as `pancode cost [--by G] --json`. */
async function cost(ctx: ApiContext) {
  const by = ctx.url.searchParams.get("by") ?? "";
  if (by && !(by in COST_GROUPS)) {
    throw new HttpError(
      400,
      "invalid_argument",
      `by must be one of: ${Object.keys(COST_GROUPS).join(", ")}; got "${by}"`,
    );
  }
  const sinceText = ctx.url.searchParams.get("since") ?? "";
  const from = sinceText ? Date.parse(sinceText) : Number.NaN;
  if (sinceText && Number.isNaN(from)) {
    throw new HttpError(400, "invalid_argument", `since must be a date or time (RFC 3339), got "${sinceText}"`);
  }
  const limit = intParam(ctx.url, "limit", { min: 1, max: 100_000, fallback: 1000 });
  const full = await ctx.api.unary("getCost", { limit }, ctx.token);
  const report = sinceText ? since(full, from) : full;
  if (!by) return { json: report };
  return { json: { by, totals: report[COST_GROUPS[by as CostGroup]], total: report.total ?? null } };
}

/** The audit filter: `?filter=` as the CLI's argument (a category or `run:<id>`), or `?category=` / `?run=`. */
function auditFilter(ctx: ApiContext): { category: string; runId: string } {
  const q = ctx.url.searchParams;
  const filter = q.get("filter") ?? "";
  if (filter.startsWith("run:")) return { category: "", runId: filter.slice(4).trim() };
  return { category: filter || (q.get("category") ?? ""), runId: q.get("run") ?? "" };
}

async function audit(ctx: ApiContext) {
  const limit = intParam(ctx.url, "limit", { min: 1, max: 1000, fallback: 50 });
  const { entries } = await ctx.api.unary("listAudit", { ...auditFilter(ctx), limit }, ctx.token);
  return { json: { entries: entries.map(auditEntryJson) } };
}

/** `GET /api/v1/workers?all=1`: as `pancode workers [--all] --json`. */
async function workers(ctx: ApiContext) {
  const all = ["1", "true"].includes(ctx.url.searchParams.get("all") ?? "");
  const info = await ctx.api.unary("clusterInfo", {}, ctx.token);
  return { json: { workers: info.workers.filter((w) => all || w.live).map(workerJson) } };
}

/**
 * `GET /api/v1/agents`: the cluster's agents, as `pancode agents --json` prints them outside a repository with agent
 * files of its own (a browser has no repository to layer on top).
 */
async function agents(ctx: ApiContext) {
  return { json: await ctx.api.unary("listAgents", { agentFiles: [] }, ctx.token) };
}

export const clusterRoutes: Route<ApiHandler>[] = [
  { method: "GET", path: "/api/v1/agents", handler: agents },
  { method: "GET", path: "/api/v1/budget", handler: budget },
  { method: "PUT", path: "/api/v1/budget", handler: setBudget },
  { method: "GET", path: "/api/v1/cost", handler: cost },
  { method: "GET", path: "/api/v1/audit", handler: audit },
  {
    method: "GET",
    path: "/api/v1/audit/verify",
    handler: async (ctx) => ({ json: auditVerifyJson(await ctx.api.unary("verifyAudit", {}, ctx.token)) }),
  },
  { method: "GET", path: "/api/v1/workers", handler: workers },
  {
    method: "POST",
    path: "/api/v1/drain",
    handler: async (ctx) => ({ json: await ctx.api.unary("drain", { submitter: "" }, ctx.token) }),
  },
  {
    method: "POST",
    path: "/api/v1/undrain",
    handler: async (ctx) => ({ json: await ctx.api.unary("undrain", { submitter: "" }, ctx.token) }),
  },
];
