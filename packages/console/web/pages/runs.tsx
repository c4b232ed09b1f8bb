import { useState } from "preact/hooks";
import { getJson, query } from "../api.js";
import { ErrorNote, Status } from "../components/status.js";
import { elapsed, formatDuration, formatUsd, shortId } from "../format.js";
import { useData, useEventStream, useInterval } from "../hooks.js";
import type { Run } from "../types.js";
import { isTerminal } from "../types.js";

const STATUSES = ["", "pending", "running", "done", "error", "timeout", "interrupted", "budget_exceeded"];
const FILTERS = ["agent", "user", "team", "batch", "chain"] as const;
type Filters = Record<"status" | (typeof FILTERS)[number], string>;

/** Every run, newest first, filtered; live through the cluster's status stream (polling while it is down). */
export function RunsPage() {
  const initial = new URLSearchParams(location.search);
  const [filters, setFilters] = useState<Filters>({
    status: initial.get("status") ?? "",
    agent: initial.get("agent") ?? "",
    user: initial.get("user") ?? "",
    team: initial.get("team") ?? "",
    batch: initial.get("batch") ?? "",
    chain: initial.get("chain") ?? "",
  });
  const runs = useData(
    () => getJson<{ runs: Run[] }>(`/runs${query({ ...filters, limit: 100 })}`),
    [JSON.stringify(filters)],
  );
  // `event: run` for each run that appears or changes (docs/http-api.md); the list is re-read, filters and all.
  const live = useEventStream("/api/v1/events", { run: runs.reload });
  const [now, setNow] = useState(Date.now());
  useInterval(() => setNow(Date.now()), 1000);
  useInterval(runs.reload, live ? null : 3000);
  const set = (key: keyof Filters) => (event: Event) =>
    setFilters({ ...filters, [key]: (event.target as HTMLInputElement).value.trim() });
  return (
    <section>
      <h1>
        Runs <span class={live ? "live on" : "live"}>{live ? "live" : "polling"}</span>
      </h1>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          status
          <select name="status" value={filters.status} onChange={set("status")}>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s || "any"}
              </option>
            ))}
          </select>
        </label>
        {FILTERS.map((key) => (
          <label key={key}>
            {key}
            <input name={key} value={filters[key]} onChange={set(key)} placeholder="any" />
          </label>
        ))}
      </form>
      <ErrorNote message={runs.error} />
      <RunTable runs={runs.data?.runs} now={now} />
    </section>
  );
}

/** Runs as rows: id, agent, status, model, elapsed, tokens, cost, user, task. */
export function RunTable({ runs, now = Date.now() }: { runs: Run[] | undefined; now?: number }) {
  if (!runs) return <p class="loading">Loading…</p>;
  if (runs.length === 0) return <p class="empty">No runs.</p>;
  return (
    <table class="runs">
      <thead>
        <tr>
          <th>Run</th>
          <th>Agent</th>
          <th>Status</th>
          <th>Model</th>
          <th>Elapsed</th>
          <th>Tokens</th>
          <th>Cost</th>
          <th>User</th>
          <th>Task</th>
        </tr>
      </thead>
      <tbody>
        {runs.map((run) => (
          <tr key={run.runId} data-run={run.runId}>
            <td>
              <a href={`/runs/${run.runId}`} class="mono">
                {shortId(run.runId)}
              </a>
            </td>
            <td>{run.agent}</td>
            <td>
              <Status status={run.status} />
            </td>
            <td>{run.model || "-"}</td>
            <td>{formatDuration(runElapsed(run, now))}</td>
            <td>{run.tokens ?? "-"}</td>
            <td>{formatUsd(run.costUsd)}</td>
            <td>{run.user ?? "-"}</td>
            <td class="task">{run.task}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function runElapsed(run: Run, now: number): number | null {
  if (isTerminal(run.status) && run.durationMs !== null) return run.durationMs;
  if (run.status === "pending") return elapsed(run.createdAt, null, now);
  return elapsed(run.startedAt ?? run.createdAt, run.finishedAt, now);
}
