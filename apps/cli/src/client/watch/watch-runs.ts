import type { ClientApi } from "@pancode/proto";
import { NdjsonRenderer } from "./ndjson-renderer.js";
import { type GroupInfo, PlainRenderer, type Renderer, TtyRenderer, type ViewOutput } from "./renderer.js";
import { applyRun, applyWatchItem, initialState, isFinal, type RunState } from "./run-state.js";

/** NDJSON when asked; else in-place redraws on a terminal and plain lines otherwise. */
function rendererFor(options: WatchRunsOptions): Renderer {
  if (options.json) return new NdjsonRenderer(options.out);
  return options.out.isTTY ? new TtyRenderer(options.out) : new PlainRenderer(options.out);
}

/** Options of {@link watchRuns}. */
export interface WatchRunsOptions {
  /** Runs to show from the start (full ids or unique prefixes). */
  runIds: readonly string[];
  /** A titled group (batch, chain): adds a progress bar line. Read on every render, so the caller may update it. */
  group?: GroupInfo;
  /**
   * Polled every `discoverMs` for more run ids to show (runs of a batch started later, new active runs of the
   * cluster). The view ends when every known run ended and the last poll found nothing new.
   */
  discover?: () => Promise<string[]>;
  discoverMs?: number;
  /**
   * With `discover`: whether more runs may still come (a batch or chain still running), asked after a look found
   * nothing new. While true the view keeps looking every `discoverMs`, so the gap between one step's end and the
   * next step's start does not end it.
   */
  active?: () => boolean | Promise<boolean>;
  /** Where the view goes, and whether it is a terminal (in-place redraw) or not (plain lines). */
  out: ViewOutput & { isTTY?: boolean };
  /** NDJSON lines (one object per change) instead of the human view, terminal or not. */
  json?: boolean;
  /** Redraw interval of the terminal view (elapsed time ticks), ms. @default 250 */
  tickMs?: number;
  signal?: AbortSignal;
}

const RECONNECTS = 5;

/** Waits `ms`, or less when `signal` aborts (Ctrl-C must not wait for the next look). */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** Follows one run's WatchRun stream from its first event (resuming after drops) until the run is final. */
async function follow(
  api: ClientApi,
  runId: string,
  update: (fn: (s: RunState) => RunState) => void,
  signal: AbortSignal | undefined,
): Promise<void> {
  let afterSeq = 0;
  let final = false;
  for (let reconnects = 0; !final && !signal?.aborted; reconnects++) {
    try {
      for await (const item of api.watchRun({ runId, afterSeq, follow: true }, signal)) {
        if (item.event) afterSeq = item.event.seq;
        if (item.run) final = isFinal(item.run.status);
        update((s) => applyWatchItem(s, item));
      }
    } catch (err) {
      if (signal?.aborted) return;
      if (reconnects >= RECONNECTS) throw err;
      await new Promise((resolve) => setTimeout(resolve, 500 * (reconnects + 1)));
    }
  }
  if (signal?.aborted) return;
  // The settled record (final cost, duration) after the terminal status.
  const settled = await api.getRun(runId);
  update((s) => applyRun(s, settled));
}

/**
 * A live view of runs: agent, status, elapsed, turn, current tool, tokens, cost; redrawn in place on a terminal,
 * one line per change otherwise. Returns the final states, in the order the runs were added. Batches and chains
 * call this with their run ids, a group title and a `discover` of their later runs.
 */
export async function watchRuns(api: ClientApi, options: WatchRunsOptions): Promise<RunState[]> {
  const renderer = rendererFor(options);
  const states = new Map<string, RunState>();
  const follows: Promise<void>[] = [];
  const render = () => renderer.render([...states.values()], options.group, Date.now());

  // Ids asked for (as given), so concurrent discoveries add a run once.
  const requested = new Set<string>();
  const add = async (idOrPrefix: string) => {
    requested.add(idOrPrefix);
    // Resolve prefixes first, so the same run given twice is shown once.
    const run = await api.getRun(idOrPrefix);
    if (states.has(run.id)) return;
    states.set(run.id, applyRun(initialState(run.id), run));
    const update = (fn: (s: RunState) => RunState) => {
      const current = states.get(run.id);
      if (current) states.set(run.id, fn(current));
      render();
    };
    const following = follow(api, run.id, update, options.signal);
    // Marked handled at once: the main loop awaits it later and rethrows; until then it must not crash the process.
    following.catch(() => {});
    follows.push(following);
    render();
  };

  for (const id of options.runIds) await add(id);
  // Discoveries run one after another, so awaiting one also waits for every add started before it.
  let discovery: Promise<void> = Promise.resolve();
  const discoverOnce = () => {
    discovery = discovery
      .catch(() => {})
      .then(async () => {
        if (!options.discover) return;
        for (const id of await options.discover()) if (!requested.has(id)) await add(id);
      });
    return discovery;
  };
  const allFollowed = async () => {
    let settled = 0;
    while (settled < follows.length) {
      const batch = follows.slice(settled);
      settled = follows.length;
      // A rejected follow (connection lost for good) ends the view with its error.
      await Promise.all(batch);
    }
  };
  let stopped = false;
  // New runs appear while others are still running: discovery runs alongside the follows.
  const discovering = (async () => {
    while (options.discover && !stopped && !options.signal?.aborted) {
      await new Promise((resolve) => setTimeout(resolve, options.discoverMs ?? 1000));
      if (!stopped) await discoverOnce();
    }
  })();
  // A failed background look is retried by the final one below, which reports its error.
  discovering.catch(() => {});
  const ticker = options.out.isTTY && !options.json ? setInterval(render, options.tickMs ?? 250) : undefined;
  try {
    for (;;) {
      await allFollowed();
      if (!options.discover || options.signal?.aborted) break;
      // Everything known ended: one last look, so a run started just now is not missed.
      const known = follows.length;
      await discoverOnce();
      if (follows.length > known) continue;
      if (!(await options.active?.()) || options.signal?.aborted) break;
      await pause(options.discoverMs ?? 1000, options.signal);
    }
  } finally {
    stopped = true;
    if (ticker) clearInterval(ticker);
  }
  renderer.finish([...states.values()], options.group, Date.now());
  return [...states.values()];
}

/** Ids of the cluster's runs still pending or running (among the newest `limit`). */
export async function activeRunIds(api: ClientApi, limit = 200): Promise<string[]> {
  return (await api.listRuns(limit)).filter((r) => !isFinal(r.status)).map((r) => r.id);
}
