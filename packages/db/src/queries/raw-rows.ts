/** The rows of a raw statement's result, whichever driver ran it (node-postgres and PGlite both answer `rows`). */
export function rowsOf(result: unknown): Record<string, unknown>[] {
  return (result as { rows: Record<string, unknown>[] }).rows;
}
