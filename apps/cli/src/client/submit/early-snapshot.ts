import { type CapturedWorkspace, captureWorkspace } from "@pancode/git";

/**
 * Starts the snapshot of the checkout at `cwd` and returns it, to be awaited later: `pancode dispatch` starts it
 * before it loads the gRPC client, so git's processes run beside that parse instead of after it. A failure is
 * reported where the snapshot is awaited, not as an unhandled rejection in the meantime.
 */
export function startSnapshot(cwd: string): Promise<CapturedWorkspace> {
  const snapshot = captureWorkspace(cwd);
  snapshot.catch(() => {});
  return snapshot;
}
