/** Renders an unknown thrown value as a log field without losing the message. */
export function errorField(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
