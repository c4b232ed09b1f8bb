import { useState } from "preact/hooks";
import { getJson, putJson, query } from "../api.js";
import { ActionButton } from "../components/action.js";
import { ErrorNote, Progress } from "../components/status.js";
import { formatUsd } from "../format.js";
import { useData } from "../hooks.js";
import type { Budget, CostTotal } from "../types.js";

/** `GET /api/v1/budget`: the cluster's budget and each team's. */
interface BudgetResponse {
  cluster: Budget;
  teams: Budget[];
}

const GROUPS = ["agent", "model", "user", "team"] as const;
type Group = (typeof GROUPS)[number];
const HOUR_MS = 3_600_000;
/** Cost windows, in hours back from now (0: all time). */
const SINCE: [number, string][] = [
  [0, "all time"],
  [24, "last 24 hours"],
  [24 * 7, "last 7 days"],
  [24 * 30, "last 30 days"],
];

export function BudgetPage() {
  const budget = useData(() => getJson<BudgetResponse>("/budget"), []);
  return (
    <section>
      <h1>Budget and cost</h1>
      <ErrorNote message={budget.error} />
      {budget.data && <BudgetTable data={budget.data} />}
      {budget.data && <SetCeiling teams={budget.data.teams.map((t) => t.team)} onDone={budget.reload} />}
      <Cost />
    </section>
  );
}

function BudgetTable({ data }: { data: BudgetResponse }) {
  const rows = [data.cluster, ...(data.teams ?? [])].filter(Boolean);
  return (
    <table data-testid="budget">
      <thead>
        <tr>
          <th>Budget</th>
          <th>Ceiling</th>
          <th>Spent</th>
          <th>Reserved</th>
          <th>Remaining</th>
          <th>Used</th>
          <th>Runs</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((b) => (
          <tr key={b.team || "(cluster)"}>
            <td>{b.team ? `team ${b.team}` : "cluster"}</td>
            <td>{b.team && b.ceilingUsd === 0 ? "none" : formatUsd(b.ceilingUsd)}</td>
            <td>{formatUsd(b.spentUsd)}</td>
            <td>{formatUsd(b.reservedUsd)}</td>
            <td>{formatUsd(b.remainingUsd)}</td>
            <td>
              {b.ceilingUsd > 0 ? (
                <Progress
                  done={b.spentUsd + b.reservedUsd}
                  total={b.ceilingUsd}
                  label={`${Math.round(((b.spentUsd + b.reservedUsd) / b.ceilingUsd) * 100)}%`}
                />
              ) : (
                "-"
              )}
            </td>
            <td>{b.runs}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function SetCeiling({ teams, onDone }: { teams: string[]; onDone: () => void }) {
  const [usd, setUsd] = useState("");
  const [team, setTeam] = useState("");
  return (
    <form class="inline-form" onSubmit={(e) => e.preventDefault()}>
      <label>
        ceiling (USD)
        <input name="usd" value={usd} onInput={(e) => setUsd((e.target as HTMLInputElement).value)} size={8} />
      </label>
      <label>
        for
        <select name="team" value={team} onChange={(e) => setTeam((e.target as HTMLSelectElement).value)}>
          <option value="">the cluster</option>
          {teams.map((t) => (
            <option key={t} value={t}>
              team {t}
            </option>
          ))}
        </select>
      </label>
      <ActionButton
        label="Set budget"
        action="set budget"
        needs="admin"
        run={() => putJson("/budget", { usd: Number(usd), ...(team ? { team } : {}) })}
        onDone={onDone}
      />
    </form>
  );
}

/** `cost --json` grouped one way: `{ totals }` with --by, or the full report's byAgent/byModel/... lists. */
interface CostResponse {
  totals?: CostTotal[];
  byAgent?: CostTotal[];
  byModel?: CostTotal[];
  byUser?: CostTotal[];
  byTeam?: CostTotal[];
  total?: CostTotal | null;
}

function totalsOf(data: CostResponse, by: Group): CostTotal[] {
  const key = `by${by[0]?.toUpperCase()}${by.slice(1)}` as keyof CostResponse;
  return data.totals ?? ((data[key] as CostTotal[] | undefined) || []);
}

function Cost() {
  const [by, setBy] = useState<Group>("agent");
  const [hours, setHours] = useState(0);
  const cost = useData(() => {
    const since = hours ? new Date(Date.now() - hours * HOUR_MS).toISOString() : undefined;
    return getJson<CostResponse>(`/cost${query({ by, since })}`);
  }, [by, hours]);
  const totals = cost.data ? totalsOf(cost.data, by) : undefined;
  return (
    <>
      <h2>Cost</h2>
      <div class="filters">
        <div class="segmented">
          {GROUPS.map((g) => (
            <button key={g} type="button" class={g === by ? "tab active" : "tab"} onClick={() => setBy(g)}>
              by {g}
            </button>
          ))}
        </div>
        <select value={hours} onChange={(e) => setHours(Number((e.target as HTMLSelectElement).value))}>
          {SINCE.map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
      </div>
      <ErrorNote message={cost.error} />
      {totals && (
        <table data-testid="cost">
          <thead>
            <tr>
              <th>{by}</th>
              <th>Runs</th>
              <th>Tokens</th>
              <th>Cost</th>
            </tr>
          </thead>
          <tbody>
            {totals.map((t) => (
              <tr key={t.key}>
                <td>{t.key || "(none)"}</td>
                <td>{t.runs}</td>
                <td>{t.tokens}</td>
                <td>{formatUsd(t.costUsd)}</td>
              </tr>
            ))}
            {cost.data?.total && (
              <tr class="total">
                <td>total</td>
                <td>{cost.data.total.runs}</td>
                <td>{cost.data.total.tokens}</td>
                <td>{formatUsd(cost.data.total.costUsd)}</td>
              </tr>
            )}
          </tbody>
        </table>
      )}
    </>
  );
}
