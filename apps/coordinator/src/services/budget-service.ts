import { type AgentRegistry, getRuntime } from "@pancode/agents";
import { PanCodeError } from "@pancode/core";
import type { BudgetRow, Database, TeamRow } from "@pancode/db";
import { singleFlight } from "./admission/single-flight.js";
import { checkName } from "./api-tokens.js";
import { ceilingSetEntry, teamCeilingSetEntry } from "./audit-log.js";
import type { ModelDirectory } from "./model-directory.js";

/** Dependencies of {@link BudgetService}. */
/** The budget store as the budget service uses it: ceilings, spend, and the cost history estimates come from. */
type BudgetStore = Pick<
  Database,
  | "initBudget"
  | "getBudget"
  | "setBudgetCeiling"
  | "estimateRunCost"
  | "countRuns"
  | "getTeam"
  | "setTeamBudgetCeiling"
  | "teamRunTotals"
  | "tokenTotals"
>;

export interface BudgetServiceDeps {
  db: BudgetStore;
  agents: AgentRegistry;
  /** Providers and models, to key estimates by the model a run would really use. */
  models: ModelDirectory;
  /** Per-run cap in USD (PANCODE_PER_RUN_BUDGET); 0 = none. */
  perRunUsd: number;
  defaultAgent: string;
}

/** What `pancode budget` shows. Amounts in USD. */
export interface BudgetStatus {
  ceilingUsd: number;
  spentUsd: number;
  reservedUsd: number;
  remainingUsd: number;
  /** Estimated cost of the next dispatch of the default agent. */
  estimatedNextUsd: number;
  runs: number;
  /** Model tokens of all runs (input + output), as their workers reported them. */
  tokens: number;
  inputTokens: number;
  outputTokens: number;
  /** The team this is the budget of; "" = the cluster's. */
  team: string;
}

// Amounts have at most 6 decimals (numeric scale 6), so integer micro-dollars compare and add exactly in JS.
const micros = (usd: number): number => Math.round(usd * 1_000_000);
const usd = (m: number): number => m / 1_000_000;
const dollars = (m: number): string => `$${usd(m).toFixed(2)}`;

/**
 * Gate 8 and the `budget` API. The authoritative check is the reservation itself (one conditional UPDATE in the
 * run's insert transaction, see {@link Database.insertRunWithReservation}); {@link BudgetService.check} refuses early
 * so that a request failing several gates reports the budget before the later ones.
 */
export class BudgetService {
  // Gate 8 reads these on every admission; concurrent admissions share one read (see singleFlight).
  private readonly sharedBudget = singleFlight(
    () => this.deps.db.getBudget(),
    () => "",
  );
  private readonly sharedTeam = singleFlight(
    (team: string) => this.deps.db.getTeam(team),
    (team) => team,
  );

  constructor(private readonly deps: BudgetServiceDeps) {}

  /** Creates the budget row from the configured ceiling unless it exists (first start). */
  async init(ceilingUsd: number): Promise<void> {
    await this.deps.db.initBudget(ceilingUsd);
  }

  /**
   * Estimated cost of the next run of `agentName`: the average actual cost of its ended runs with the same model,
   * else of all its ended runs, else the per-run cap, else 0.
   */
  async estimate(agentName: string, requestedModel: string, agents = this.deps.agents): Promise<number> {
    const model = this.modelKey(agents, agentName, requestedModel);
    const average = await this.deps.db.estimateRunCost(agentName, model);
    if (average !== null) return average;
    // The agent's configured estimate, else the per-run cap, else 0 (the config refuses negative amounts).
    const configured = agents.get(agentName)?.estimateUsd;
    if (configured !== undefined) return configured;
    return Math.max(this.deps.perRunUsd, 0);
  }

  /** Gate 8: throws the refusal when spent + reserved + estimate would pass the team's or the cluster's ceiling. */
  async check(estimateUsd: number, team: string | null = null): Promise<void> {
    const row = team ? await this.sharedTeam(team) : undefined;
    if (row?.budgetCeilingUsd != null) {
      const passed =
        micros(row.spentUsd) + micros(row.reservedUsd) + micros(estimateUsd) > micros(row.budgetCeilingUsd);
      if (passed) throw teamRefusal(row, estimateUsd);
    }
    const budget = await this.sharedBudget();
    if (micros(budget.spentUsd) + micros(budget.reservedUsd) + micros(estimateUsd) > micros(budget.ceilingUsd)) {
      throw refusal(budget, estimateUsd);
    }
  }

  /** A team's ceiling (0 = none), spend and reservations; NOT_FOUND for a team never named. */
  async teamStatus(team: string): Promise<BudgetStatus> {
    const row = await this.deps.db.getTeam(team);
    if (!row) throw new PanCodeError("NOT_FOUND", `no team "${team}"; see \`pancode teams list\``);
    const [estimatedNextUsd, { runs, inputTokens, outputTokens }] = await Promise.all([
      this.estimate(this.deps.defaultAgent, ""),
      this.deps.db.teamRunTotals(team),
    ]);
    const ceiling = micros(row.budgetCeilingUsd ?? 0);
    const remaining = ceiling - micros(row.spentUsd) - micros(row.reservedUsd);
    return {
      ceilingUsd: usd(ceiling),
      spentUsd: row.spentUsd,
      reservedUsd: row.reservedUsd,
      remainingUsd: row.budgetCeilingUsd == null ? 0 : usd(Math.max(0, remaining)),
      estimatedNextUsd,
      runs,
      tokens: inputTokens + outputTokens,
      inputTokens,
      outputTokens,
      team,
    };
  }

  /** Sets a team's ceiling (creating the team), audited in the same transaction. */
  async setTeamCeiling(team: string, ceilingUsd: number, actor: string): Promise<BudgetStatus> {
    checkName("team", team);
    await this.deps.db.setTeamBudgetCeiling(team, ceilingUsd, (previous, row) =>
      teamCeilingSetEntry(team, previous, row.budgetCeilingUsd ?? ceilingUsd, actor),
    );
    return this.teamStatus(team);
  }

  /** The ceiling, spend, reservations and the next estimate for the default agent. */
  async status(): Promise<BudgetStatus> {
    const [budget, estimatedNextUsd, runs, tokens] = await Promise.all([
      this.deps.db.getBudget(),
      this.estimate(this.deps.defaultAgent, ""),
      this.deps.db.countRuns(),
      this.deps.db.tokenTotals(),
    ]);
    const remaining = micros(budget.ceilingUsd) - micros(budget.spentUsd) - micros(budget.reservedUsd);
    return {
      ceilingUsd: budget.ceilingUsd,
      spentUsd: budget.spentUsd,
      reservedUsd: budget.reservedUsd,
      remainingUsd: usd(Math.max(0, remaining)),
      estimatedNextUsd,
      runs,
      tokens: tokens.inputTokens + tokens.outputTokens,
      inputTokens: tokens.inputTokens,
      outputTokens: tokens.outputTokens,
      team: "",
    };
  }

  /**
   * Sets the ceiling and records the change (old and new ceiling, who) in the audit trail; INVALID_ARGUMENT unless
   * it is a positive amount. When the entry cannot be written the ceiling is unchanged and the call fails, naming it.
   */
  async setCeiling(ceilingUsd: number, actor = ""): Promise<BudgetStatus> {
    if (!Number.isFinite(ceilingUsd) || ceilingUsd <= 0) {
      throw new PanCodeError("INVALID_ARGUMENT", `budget ceiling must be a positive amount in USD, got ${ceilingUsd}`);
    }
    // The change and its audit entry commit in one transaction.
    await this.deps.db.setBudgetCeiling(ceilingUsd, (previous, row) =>
      ceilingSetEntry(previous ?? row.ceilingUsd, row.ceilingUsd, actor || "client"),
    );
    return this.status();
  }

  /**
   * The model a run of the agent would be recorded with (as the dispatch service stores it), so estimates match
   * past runs; the requested name when the agent or model cannot be resolved (later gates report that).
   */
  private modelKey(agents: AgentRegistry, agentName: string, requested: string): string {
    if (!agents.get(agentName)) return requested;
    try {
      const agent = agents.resolve(agentName);
      if (!getRuntime(agent.runtime).needsModel) return requested || agent.model;
      return this.deps.models.resolve(requested || agent.model).ref;
    } catch (_err) {
      return requested;
    }
  }
}

/** The refusal of gate 8; "spent" counts what is reserved by runs still going. */
export function refusal(budget: BudgetRow, estimateUsd: number): PanCodeError {
  const spent = micros(budget.spentUsd) + micros(budget.reservedUsd);
  return new PanCodeError(
    "BUDGET_EXCEEDED",
    `Dispatch blocked: Budget ceiling would be exceeded (spent: ${dollars(spent)}, estimated next: ${dollars(micros(estimateUsd))}, ceiling: ${dollars(micros(budget.ceilingUsd))})`,
  );
}

/** The refusal of gate 8 by a team's ceiling. */
export function teamRefusal(team: TeamRow, estimateUsd: number): PanCodeError {
  const spent = micros(team.spentUsd) + micros(team.reservedUsd);
  return new PanCodeError(
    "BUDGET_EXCEEDED",
    `Dispatch blocked: Budget ceiling of team ${team.name} would be exceeded (spent: ${dollars(spent)}, estimated next: ${dollars(micros(estimateUsd))}, ceiling: ${dollars(micros(team.budgetCeilingUsd ?? 0))})`,
  );
}
