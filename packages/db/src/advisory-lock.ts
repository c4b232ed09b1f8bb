import pg from "pg";

/** A Postgres session-level advisory lock held on a connection of its own. */
export interface HeldLock {
  /** True once the lock's connection is gone: the lock is no longer held, whoever asks next may take it. */
  readonly lost: boolean;
  release(): Promise<void>;
}

/** Takes the advisory lock `key` if nobody holds it; undefined when another session does. */
export type TryLock = (key: number) => Promise<HeldLock | undefined>;

/**
 * Advisory locks on dedicated connections (not the pool's): a session lock lives as long as its connection, so a
 * coordinator that dies or loses the database releases it and another one takes over.
 */
export function postgresLocks(url: string): TryLock {
  return async (key) => {
    const client = new pg.Client({ connectionString: url });
    let lost = false;
    // Without a listener a dropped connection would crash the process; here it only means the lock is gone.
    client.on("error", () => {
      lost = true;
    });
    client.on("end", () => {
      lost = true;
    });
    await client.connect();
    try {
      const { rows } = await client.query<{ locked: boolean }>("select pg_try_advisory_lock($1) as locked", [key]);
      if (rows[0]?.locked !== true) {
        await client.end();
        return undefined;
      }
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    return {
      get lost() {
        return lost;
      },
      release: () => client.end().catch(() => undefined),
    };
  };
}

/** The embedded database belongs to one process, which therefore always holds every lock. */
export const embeddedLocks: TryLock = async () => ({ lost: false, release: async () => undefined });
