/** Prints one JSON document on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Human duration: 850ms, 12.3s, 4m05s. */
export function formatDuration(ms: number | null): string {
  if (ms === null || ms < 0) return "-";
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes}m${String(Math.floor((ms % 60_000) / 1000)).padStart(2, "0")}s`;
}

/** Dollar amounts as the seed shows them. */
export function formatCost(usd: number): string {
  return `$${usd.toFixed(2)}`;
}

/** A plain aligned table (no colours: output is often piped). */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  return [line(headers), ...rows.map(line)].join("\n");
}

/** Short form of a run id for tables (unique prefixes are accepted everywhere). */
export function shortId(id: string): string {
  return id.slice(0, 8);
}
