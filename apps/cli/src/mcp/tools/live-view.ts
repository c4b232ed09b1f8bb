import type { ViewOutput } from "../../client/watch/renderer.js";
import type { McpContext } from "../tool.js";

/** How long a view may take to draw its last lines after the work it shows ended, ms. */
const FINAL_LINES_MS = 3000;

/** The plain lines of `pancode watch` (one per change) as the call's progress notifications. */
export function progressOutput(ctx: Pick<McpContext, "progress">): ViewOutput {
  return { write: (text: string) => ctx.progress?.(text.trim()) };
}

/**
 * Does `work` while `view` shows its progress: the view only reports, so its errors never fail the call; it stops
 * when the client cancels, and gets a moment after `work` ended to report the final statuses before it is stopped.
 */
export async function withLiveView<T>(
  ctx: Pick<McpContext, "signal">,
  view: (signal: AbortSignal) => Promise<unknown>,
  work: () => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  ctx.signal?.addEventListener("abort", stop, { once: true });
  const viewing = view(controller.signal).catch(() => {
    // Progress is best effort: the result of the call says how the work ended.
  });
  try {
    return await work();
  } finally {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([viewing, new Promise((resolve) => (timer = setTimeout(resolve, FINAL_LINES_MS)))]);
    clearTimeout(timer);
    stop();
    ctx.signal?.removeEventListener("abort", stop);
    await viewing;
  }
}
