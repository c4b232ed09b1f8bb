import { useEffect, useState } from "preact/hooks";
import { ApiError, getJson, getText, postJson } from "../api.js";
import { ActionButton } from "../components/action.js";
import { AuditTable } from "../components/audit-table.js";
import { DiffView } from "../components/diff-view.js";
import { Logs } from "../components/logs.js";
import { type ReceiptResponse, ReceiptView } from "../components/receipt-view.js";
import { ErrorNote, Status } from "../components/status.js";
import { Timeline } from "../components/timeline.js";
import { parsePatch } from "../diff.js";
import { type Entry, mergeEvents, usageOf } from "../events.js";
import { elapsed, formatDuration, formatTime, formatUsd, shortId } from "../format.js";
import { useData, useEventStream, useInterval } from "../hooks.js";
import { isTerminal, type Run, type RunEvent } from "../types.js";

const TABS = ["Timeline", "Logs", "Diff", "Receipt", "Audit"] as const;
type Tab = (typeof TABS)[number];

/** One run: header with Stop, then its live timeline, logs, diff, receipt and audit entries. */
export function RunPage({ id }: { id: string }) {
  const run = useData(() => getJson<Run>(`/runs/${encodeURIComponent(id)}`), [id]);
  const [entries, setEntries] = useState<Entry[]>([]);
  const [tab, setTab] = useState<Tab>("Timeline");
  const history = useData(async () => {
    const { events } = await getJson<{ events: RunEvent[] }>(`/runs/${encodeURIComponent(id)}/events`);
    setEntries((known) => mergeEvents(known, events));
    return events.length;
  }, [id]);
  const ended = run.data ? isTerminal(run.data.status) : false;
  // Live until the run ends: events as they come, and a status message on each transition.
  const streamUrl = run.data && !ended ? `/api/v1/runs/${encodeURIComponent(id)}/events/stream` : null;
  const [streamError, setStreamError] = useState<string | undefined>(undefined);
  const live = useEventStream(streamUrl, {
    message: (data) => setEntries((known) => mergeEvents(known, [JSON.parse(data) as RunEvent])),
    // The run as show --json, first and on every status change; the stream ends after the terminal one.
    status: (data) => run.set(JSON.parse(data) as Run),
    error: (data) => setStreamError(streamErrorOf(data)),
  });
  // Elapsed ticks while running; the run and its events are polled instead while the stream is down.
  const [now, setNow] = useState(Date.now());
  useInterval(() => setNow(Date.now()), ended ? null : 1000);
  useInterval(
    () => {
      run.reload();
      history.reload();
    },
    ended || live ? null : 3000,
  );
  // Once it ended, the full list: nothing the stream may have dropped at its close is missing.
  useEffect(() => {
    if (ended) history.reload();
  }, [ended]);
  if (run.error && !run.data) return <ErrorNote message={run.error} />;
  if (!run.data) return <p class="loading">Loading…</p>;
  return (
    <section>
      <RunHeader run={run.data} entries={entries} now={now} live={live} onStopped={run.reload} />
      <ErrorNote message={history.error ?? streamError} />
      <div class="tabs" role="tablist">
        {TABS.map((t) => (
          <button
            type="button"
            role="tab"
            key={t}
            aria-selected={tab === t}
            class={tab === t ? "tab active" : "tab"}
            onClick={() => setTab(t)}
          >
            {t}
          </button>
        ))}
      </div>
      <div class="tab-body">
        {tab === "Timeline" && <Timeline entries={entries} />}
        {tab === "Logs" && <Logs entries={entries} />}
        {tab === "Diff" && <RunDiff run={run.data} />}
        {tab === "Receipt" && <RunReceipt run={run.data} />}
        {tab === "Audit" && <RunAudit id={run.data.runId} />}
      </div>
    </section>
  );
}

/** The message of a stream's `error` event (a connection error carries no data and is not one). */
function streamErrorOf(data: string | undefined): string | undefined {
  if (!data) return undefined;
  try {
    return (JSON.parse(data) as { error?: { message?: string } }).error?.message;
  } catch {
    return undefined;
  }
}

interface HeaderProps {
  run: Run;
  entries: Entry[];
  now: number;
  live: boolean;
  onStopped: () => void;
}

function RunHeader({ run, entries, now, live, onStopped }: HeaderProps) {
  const usage = usageOf(entries);
  const ended = isTerminal(run.status);
  const took = ended ? run.durationMs : elapsed(run.startedAt ?? run.createdAt, null, now);
  const tokens = run.tokens ?? usage.input + usage.output;
  return (
    <header class="run-header">
      <h1>
        Run <span class="mono">{shortId(run.runId)}</span> <Status status={run.status} />
        {!ended && <span class={live ? "live on" : "live"}>{live ? "live" : "polling"}</span>}
      </h1>
      <p class="task pre-wrap" data-testid="run-task">
        {run.task}
      </p>
      <dl class="facts">
        <dt>agent</dt>
        <dd>
          {run.agent}
          {run.model ? ` (${run.model})` : ""}
        </dd>
        <dt>user</dt>
        <dd>
          {run.user ?? "-"}
          {run.team ? ` (team ${run.team})` : ""}
        </dd>
        <dt>created</dt>
        <dd>{formatTime(run.createdAt)}</dd>
        <dt>elapsed</dt>
        <dd>{formatDuration(took)}</dd>
        <dt>tokens</dt>
        <dd>{tokens}</dd>
        <dt>cost</dt>
        <dd>{formatUsd(ended ? run.costUsd : usage.costUsd || run.costUsd)}</dd>
        {run.batchId && (
          <>
            <dt>batch</dt>
            <dd>
              <a href={`/batches/${run.batchId}`}>{shortId(run.batchId)}</a>
            </dd>
          </>
        )}
        {run.chainId && (
          <>
            <dt>chain</dt>
            <dd>
              <a href={`/chains/${run.chainId}`}>{shortId(run.chainId)}</a>
            </dd>
          </>
        )}
        {run.error && (
          <>
            <dt>error</dt>
            <dd class="error-text">{run.error}</dd>
          </>
        )}
      </dl>
      {!ended && (
        <ActionButton
          label="Stop"
          action="stop run"
          needs="member"
          class="button danger"
          run={() => postJson(`/runs/${encodeURIComponent(run.runId)}/stop`)}
          onDone={onStopped}
        />
      )}
      {run.outputTail && (
        <details>
          <summary>Output (tail)</summary>
          <pre class="output" data-testid="output-tail">
            {run.outputTail}
          </pre>
        </details>
      )}
    </header>
  );
}

function RunDiff({ run }: { run: Run }) {
  const patch = useData(async () => {
    try {
      return parsePatch(await getText(`/runs/${encodeURIComponent(run.runId)}/patch`));
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return null;
      throw err;
    }
  }, [run.runId, run.status]);
  if (patch.error) return <ErrorNote message={patch.error} />;
  if (patch.data === undefined) return <p class="loading">Loading…</p>;
  if (patch.data === null) return <p class="empty">{isTerminal(run.status) ? "No patch." : "No patch yet."}</p>;
  return <DiffView files={patch.data} />;
}

function RunReceipt({ run }: { run: Run }) {
  const receipt = useData(async () => {
    try {
      return await getJson<ReceiptResponse>(`/runs/${encodeURIComponent(run.runId)}/receipt`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return null;
      throw err;
    }
  }, [run.runId, run.status]);
  if (receipt.error) return <ErrorNote message={receipt.error} />;
  if (receipt.data === undefined) return <p class="loading">Loading…</p>;
  if (receipt.data === null) return <p class="empty">No receipt yet: it is signed when the run ends.</p>;
  return <ReceiptView data={receipt.data} />;
}

function RunAudit({ id }: { id: string }) {
  const audit = useData(() => getJson<{ entries: [] }>(`/runs/${encodeURIComponent(id)}/audit`), [id]);
  return (
    <>
      <ErrorNote message={audit.error} />
      <AuditTable entries={audit.data?.entries} />
    </>
  );
}
