import { getJson, postJson } from "../api.js";
import { ActionButton } from "../components/action.js";
import { ErrorNote, Progress, Status } from "../components/status.js";
import { formatTime, formatUsd, shortId } from "../format.js";
import { useData, useInterval } from "../hooks.js";
import { type Batch, type Chain, isTerminal } from "../types.js";
import { RunTable } from "./runs.js";

/** Runs of a group that have ended, for its progress bar. */
function finished(counts: Record<string, number>): number {
  return Object.entries(counts).reduce((n, [status, count]) => (isTerminal(status) ? n + count : n), 0);
}

const POLL_MS = 2000;

export function BatchesPage() {
  const list = useData(() => getJson<{ batches: Batch[] }>("/batches"), []);
  useInterval(list.reload, POLL_MS);
  return (
    <section>
      <h1>Batches</h1>
      <ErrorNote message={list.error} />
      <GroupTable
        rows={list.data?.batches.map((b) => ({
          href: `/batches/${b.batchId}`,
          id: b.batchId,
          label: `${b.tasks} task(s)`,
          status: b.status,
          done: finished(b.counts),
          total: b.tasks,
          costUsd: b.costUsd,
          createdAt: b.createdAt,
          submitter: b.submitter,
        }))}
      />
    </section>
  );
}

export function ChainsPage() {
  const list = useData(() => getJson<{ chains: Chain[] }>("/chains"), []);
  useInterval(list.reload, POLL_MS);
  return (
    <section>
      <h1>Chains</h1>
      <ErrorNote message={list.error} />
      <GroupTable
        rows={list.data?.chains.map((c) => ({
          href: `/chains/${c.chainId}`,
          id: c.chainId,
          label: `${c.kind}: ${c.originalTask}`,
          status: c.status,
          done: finished(c.counts),
          total: c.totalSteps || c.steps.length,
          costUsd: c.costUsd,
          createdAt: c.createdAt,
          submitter: c.submitter,
        }))}
      />
    </section>
  );
}

interface GroupRow {
  href: string;
  id: string;
  label: string;
  status: string;
  done: number;
  total: number;
  costUsd: number;
  createdAt: string;
  submitter: string;
}

function GroupTable({ rows }: { rows: GroupRow[] | undefined }) {
  if (!rows) return <p class="loading">Loading…</p>;
  if (rows.length === 0) return <p class="empty">None yet.</p>;
  return (
    <table>
      <thead>
        <tr>
          <th>Id</th>
          <th>Status</th>
          <th>Progress</th>
          <th>Cost</th>
          <th>By</th>
          <th>Created</th>
          <th>What</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.id}>
            <td>
              <a href={r.href} class="mono">
                {shortId(r.id)}
              </a>
            </td>
            <td>
              <Status status={r.status} />
            </td>
            <td>
              <Progress done={r.done} total={r.total} />
            </td>
            <td>{formatUsd(r.costUsd)}</td>
            <td>{r.submitter || "-"}</td>
            <td>{formatTime(r.createdAt)}</td>
            <td class="task">{r.label}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function BatchPage({ id }: { id: string }) {
  const batch = useData(() => getJson<Batch>(`/batches/${encodeURIComponent(id)}`), [id]);
  const b = batch.data;
  useInterval(batch.reload, b && isTerminal(b.status) ? null : POLL_MS);
  if (!b) return batch.error ? <ErrorNote message={batch.error} /> : <p class="loading">Loading…</p>;
  const runsById = new Map(b.runs.map((r) => [r.runId, r]));
  return (
    <section>
      <h1>
        Batch <span class="mono">{shortId(b.batchId)}</span> <Status status={b.status} />
      </h1>
      <Progress done={finished(b.counts)} total={b.tasks} />
      <p class="muted">
        {Object.entries(b.counts)
          .map(([s, n]) => `${n} ${s}`)
          .join(", ") || "no runs yet"}{" "}
        · {formatUsd(b.costUsd)} · by {b.submitter || "-"}
      </p>
      <ErrorNote message={b.error} />
      {!isTerminal(b.status) && (
        <ActionButton
          label="Stop batch"
          action="stop batch"
          needs="member"
          class="button danger"
          run={() => postJson(`/batches/${encodeURIComponent(b.batchId)}/stop`)}
          onDone={batch.reload}
        />
      )}
      <h2>Items</h2>
      <table data-testid="batch-items">
        <thead>
          <tr>
            <th>#</th>
            <th>Agent</th>
            <th>Status</th>
            <th>Run</th>
            <th>Task</th>
          </tr>
        </thead>
        <tbody>
          {b.items.map((item, i) => {
            const run = item.runId ? runsById.get(item.runId) : undefined;
            return (
              <tr key={`${i}`}>
                <td>{i + 1}</td>
                <td>{item.agent}</td>
                <td>{run ? <Status status={run.status} /> : item.error ? item.error : "waiting"}</td>
                <td>{item.runId ? <a href={`/runs/${item.runId}`}>{shortId(item.runId)}</a> : "-"}</td>
                <td class="task">
                  {item.task}
                  {run?.outputTail && <pre class="output small">{run.outputTail}</pre>}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}

export function ChainPage({ id }: { id: string }) {
  const chain = useData(() => getJson<Chain>(`/chains/${encodeURIComponent(id)}`), [id]);
  const c = chain.data;
  useInterval(chain.reload, c && isTerminal(c.status) ? null : POLL_MS);
  if (!c) return chain.error ? <ErrorNote message={chain.error} /> : <p class="loading">Loading…</p>;
  const total = c.totalSteps || c.steps.length;
  return (
    <section>
      <h1>
        {c.kind === "refine" ? "Refine loop" : "Chain"} <span class="mono">{shortId(c.chainId)}</span>{" "}
        <Status status={c.status} />
      </h1>
      <p class="task pre-wrap">{c.originalTask}</p>
      <Progress done={finished(c.counts)} total={total} />
      <p class="muted">
        {formatUsd(c.costUsd)} · by {c.submitter || "-"}
        {c.verdict ? ` · verdict ${c.verdict} after ${c.rounds} round(s)` : ""}
        {c.failedStep ? ` · failed at step ${c.failedStep}` : ""}
      </p>
      <ErrorNote message={c.error} />
      {!isTerminal(c.status) && (
        <ActionButton
          label="Stop chain"
          action="stop chain"
          needs="member"
          class="button danger"
          run={() => postJson(`/chains/${encodeURIComponent(c.chainId)}/stop`)}
          onDone={chain.reload}
        />
      )}
      <h2>Steps</h2>
      <ol class="steps">
        {c.steps.map((step, i) => {
          const run = c.runs[i];
          return (
            <li key={`${i}`}>
              <strong>{step.agent}</strong> {run ? <Status status={run.status} /> : <span class="muted">waiting</span>}{" "}
              {run && <a href={`/runs/${run.runId}`}>{shortId(run.runId)}</a>}
              <p class="pre-wrap muted">{step.task}</p>
              {run?.outputTail && <pre class="output small">{run.outputTail}</pre>}
            </li>
          );
        })}
      </ol>
      <h2>Runs</h2>
      <RunTable runs={c.runs} />
    </section>
  );
}
