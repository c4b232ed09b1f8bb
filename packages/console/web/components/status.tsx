/** A run, batch or chain status as a coloured label. */
export function Status({ status }: { status: string }) {
  return <span class={`status status-${status.replace(/[^a-z_]/g, "")}`}>{status}</span>;
}

/** An error or refusal, as text, where the user looks. */
export function ErrorNote({ message }: { message: string | undefined }) {
  if (!message) return null;
  return (
    <p class="error" role="alert">
      {message}
    </p>
  );
}

/** A bar of done out of total, labelled "done/total" unless a label is given. */
export function Progress({ done, total, label }: { done: number; total: number; label?: string }) {
  const percent = total > 0 ? Math.min(100, Math.round((done / total) * 100)) : 0;
  return (
    <div class="progress" title={`${done} of ${total}`}>
      <div class="progress-bar" style={{ width: `${percent}%` }} />
      <span class="progress-label">{label ?? `${done}/${total}`}</span>
    </div>
  );
}
