import { isPanCodeError } from "@pancode/core";
import { type RunInfo, runJson } from "@pancode/proto";
import type { RunSubscription } from "../../services/run-notifier.js";
import { type ApiAnswer, type ApiContext, type ApiHandler, HANDLED } from "../context.js";
import type { Route } from "../router.js";
import { openEventStream } from "../sse.js";

/** Shortest time between two reads of the runs by one stream: live enough for a list, at most one query a second. */
const MIN_INTERVAL_MS = 1000;
/**
 * Longest a stream waits without a change notification before it reads anyway: what changes without one (a run's
 * live cost from usage reports, a notification lost between replicas) shows within this.
 */
const IDLE_INTERVAL_MS = 5000;
/** Newest runs watched: the first page of the Runs page and then some. */
const WATCHED_RUNS = 200;

/** What makes a run worth sending again: its status, its progress, and what arrives after it ended (the receipt). */
function fingerprint(r: RunInfo): string {
  return `${r.status}|${r.tokens}|${r.costUsd}|${r.liveCostUsd}|${r.finishedAt}|${r.receiptId}|${r.patch?.digest ?? ""}`;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

/**
 * `GET /api/v1/events`: SSE of run changes cluster-wide for the Runs page. `event: run` with the run (runs --json
 * item) whenever a run appears or its status or progress changes; the first pass sends nothing, the page has just
 * listed the runs. It reads through the client service as the caller (so roles apply) when a run changed anywhere in
 * the cluster (at most once a second), or every few seconds when nothing did, and never ends by itself.
 */
async function clusterEvents(ctx: ApiContext): Promise<ApiAnswer> {
  const list = async () =>
    (await ctx.api.unary("listRuns", { limit: WATCHED_RUNS, user: "", team: "", mine: false }, ctx.token)).runs;
  // Listening before the first read, so a change made while it runs is not missed.
  const changes = ctx.runChanges();
  try {
    // Read before the stream opens, so a refusal is a JSON error.
    const seen = new Map((await list()).map((r) => [r.id, fingerprint(r)]));
    await sendChanges(ctx, changes, list, seen);
  } finally {
    changes.close();
  }
  return HANDLED;
}

/** The stream itself: after each change (or idle interval), the runs whose fingerprint moved since `seen`. */
async function sendChanges(
  ctx: ApiContext,
  changes: RunSubscription,
  list: () => Promise<RunInfo[]>,
  seen: Map<string, string>,
): Promise<void> {
  const stream = openEventStream(ctx.res);
  try {
    while (!ctx.signal.aborted) {
      // A change during this pause is kept by the subscription, so the wait after it returns at once.
      await sleep(MIN_INTERVAL_MS, ctx.signal);
      await changes.next(IDLE_INTERVAL_MS - MIN_INTERVAL_MS, ctx.signal);
      if (ctx.signal.aborted) break;
      const runs = await list();
      // Runs that dropped off the watched page are forgotten, so the map stays as small as the page.
      const current = new Set(runs.map((r) => r.id));
      for (const id of seen.keys()) if (!current.has(id)) seen.delete(id);
      for (const run of runs.reverse()) {
        const now = fingerprint(run);
        if (seen.get(run.id) === now) continue;
        seen.set(run.id, now);
        await stream.send({ event: "run", data: runJson(run) });
      }
    }
  } catch (err) {
    const message = isPanCodeError(err) ? err.message : "the event stream failed; see the coordinator log";
    await stream.send({ event: "error", data: { error: { message } } }).catch(() => undefined);
  } finally {
    stream.end();
  }
}

export const clusterEventRoutes: Route<ApiHandler>[] = [
  { method: "GET", path: "/api/v1/events", handler: clusterEvents },
];
