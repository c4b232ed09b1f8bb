import { getJson, postJson } from "../api.js";
import { ActionButton } from "../components/action.js";
import { ErrorNote } from "../components/status.js";
import { formatTime, shortId } from "../format.js";
import { useData, useInterval } from "../hooks.js";
import type { Run, Worker } from "../types.js";

/** Live workers: runtimes, providers, slots, active runs, last heartbeat; admins drain and undrain here. */
export function WorkersPage() {
  const workers = useData(() => getJson<{ workers: Worker[] }>("/workers"), []);
  // Which runs each worker has: the running runs, by the worker that claimed them (a worker names only a count).
  const running = useData(() => getJson<{ runs: Run[] }>("/runs?status=running&limit=1000"), []);
  useInterval(() => {
    workers.reload();
    running.reload();
  }, 3000);
  const list = workers.data?.workers;
  const runsOf = (workerId: string) => (running.data?.runs ?? []).filter((r) => r.workerId === workerId);
  return (
    <section>
      <h1>Workers</h1>
      <div class="actions">
        <ActionButton
          label="Drain"
          action="drain"
          needs="admin"
          confirm="Stop every coordinator admitting runs? Running runs finish."
          run={() => postJson("/drain")}
          onDone={workers.reload}
        />
        <ActionButton label="Undrain" action="undrain" needs="admin" run={() => postJson("/undrain")} />
      </div>
      <ErrorNote message={workers.error} />
      {!list ? (
        <p class="loading">Loading…</p>
      ) : list.length === 0 ? (
        <p class="empty">No live workers: start one with `pancode worker`.</p>
      ) : (
        <table data-testid="workers">
          <thead>
            <tr>
              <th>Worker</th>
              <th>Pool</th>
              <th>Sandbox</th>
              <th>Runtimes</th>
              <th>Providers</th>
              <th>Slots</th>
              <th>Active runs</th>
              <th>Last heartbeat</th>
            </tr>
          </thead>
          <tbody>
            {list.map((w) => (
              <tr key={w.id} class={w.live ? "" : "gone"}>
                <td class="mono">{w.id}</td>
                <td>{w.pool || "-"}</td>
                <td>{w.sandbox}</td>
                <td>{w.runtimes.join(", ") || "-"}</td>
                <td>{w.providers.join(", ") || "-"}</td>
                <td>
                  {w.slotsUsed}/{w.slotsTotal}
                </td>
                <td>
                  {runsOf(w.id).map((r) => (
                    <a key={r.runId} href={`/runs/${r.runId}`} class="mono">
                      {shortId(r.runId)}{" "}
                    </a>
                  ))}
                  {runsOf(w.id).length === 0 && (w.slotsUsed > 0 ? `${w.slotsUsed}` : "-")}
                </td>
                <td>{formatTime(w.lastSeen)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
