// Exit codes and the usage error, with no imports: main.ts needs them before any command module is loaded.

/** Exit codes of every pancode command. */
export const EXIT = {
  ok: 0,
  /** The run itself failed (error, timeout, interrupted, budget_exceeded), or `audit verify` found a broken chain. */
  runFailed: 1,
  /** Bad usage or input detected before anything was sent. */
  usage: 2,
  /** The patch conflicts with the working tree; nothing was changed, the patch is saved. */
  conflict: 3,
  /** The coordinator is unreachable or refused the request. */
  rejected: 4,
} as const;

/** Error raised by the CLI itself for bad usage (exit 2). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
