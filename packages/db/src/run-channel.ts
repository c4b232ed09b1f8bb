import pg from "pg";

/** Postgres channel on which coordinators announce that something about a run changed (payload: the run id). */
export const RUN_CHANNEL = "pancode_runs";

/** Subscribes to run changes announced by any coordinator; resolves to the unsubscribe. */
export type ListenRuns = (onRun: (runId: string) => void) => Promise<() => Promise<void>>;

/**
 * LISTEN on a connection of its own (a pooled one would drop the subscription). A lost connection is reopened a
 * second later; changes announced meanwhile are missed, which costs watchers one poll interval, no more.
 */
export function postgresRunListener(url: string, onLost: (err: Error) => void): ListenRuns {
  return async (onRun) => {
    let client: pg.Client | undefined;
    let stopped = false;
    let retry: NodeJS.Timeout | undefined;
    const connect = async (): Promise<void> => {
      const next = new pg.Client({ connectionString: url });
      next.on("notification", (msg) => {
        if (msg.channel === RUN_CHANNEL && msg.payload) onRun(msg.payload);
      });
      const reconnect = (err: Error): void => {
        if (stopped || client !== next) return;
        client = undefined;
        onLost(err);
        next.end().catch(() => undefined);
        retry = setTimeout(() => void connect().catch(reconnect), 1000);
        retry.unref();
      };
      next.on("error", reconnect);
      client = next;
      await next.connect();
      await next.query(`listen ${RUN_CHANNEL}`);
    };
    await connect();
    return async () => {
      stopped = true;
      clearTimeout(retry);
      await client?.end().catch(() => undefined);
    };
  };
}

/** The embedded database belongs to one process: its in-process notifier already reaches every watcher. */
export const embeddedRunListener: ListenRuns = async () => async () => undefined;
