import { formatTime, shortId } from "../format.js";
import type { AuditEntry } from "../types.js";

/** Audit entries as `pancode audit` lists them: seq, time, category/action, run, actor, gate, message. */
export function AuditTable({ entries }: { entries: AuditEntry[] | undefined }) {
  if (!entries) return <p class="loading">Loading…</p>;
  if (entries.length === 0) return <p class="empty">No audit entries.</p>;
  return (
    <table class="audit" data-testid="audit">
      <thead>
        <tr>
          <th>Seq</th>
          <th>At</th>
          <th>Category</th>
          <th>Action</th>
          <th>Run</th>
          <th>Actor</th>
          <th>Gate</th>
          <th>Message</th>
        </tr>
      </thead>
      <tbody>
        {entries.map((e) => (
          <tr key={e.seq}>
            <td>{e.seq}</td>
            <td>{formatTime(e.at)}</td>
            <td>{e.category}</td>
            <td>{e.action}</td>
            <td>{e.runId ? <a href={`/runs/${e.runId}`}>{shortId(e.runId)}</a> : "-"}</td>
            <td>{e.actor}</td>
            <td>{e.gate ?? "-"}</td>
            <td class="task">{e.message}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
