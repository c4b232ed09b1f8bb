import { PGlite } from "@electric-sql/pglite";
import { type LoggerPort, PanCodeError, silentLogger } from "@pancode/core";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import pg from "pg";
import { postgresLocks } from "./advisory-lock.js";
import { createDatabase, type Database } from "./database.js";
import type { DbHandle } from "./handle.js";
import { migratePglite, migratePostgres } from "./migrate.js";
import { toDatabaseError } from "./queries/db-errors.js";
import { postgresRunListener } from "./run-channel.js";
import * as schema from "./schema/index.js";

/** Options of {@link openDatabase}. */
export interface OpenDatabaseOptions {
  /** Postgres connection URL. When absent, an embedded PGlite database is used instead. */
  url?: string;
  /**
   * Folder of the embedded PGlite database (created when missing). Only one process may open it at a time.
   * Ignored with `url`. @default in-memory (lost at close)
   */
  dataDir?: string;
  logger?: LoggerPort;
  /** Maximum connections of the node-postgres pool. @default 10 */
  poolSize?: number;
}

/**
 * Opens the store and applies the committed migrations before returning: real Postgres over a node-postgres pool
 * when `url` is given, otherwise embedded PGlite (persisted at `dataDir`, or in memory). Both run the same queries.
 * Throws UNAVAILABLE when Postgres cannot be reached.
 */
export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  const logger = options.logger ?? silentLogger;
  return options.url === undefined
    ? openPglite(options.dataDir, logger)
    : openPostgres(options.url, logger, options.poolSize ?? 10);
}

async function openPostgres(url: string, logger: LoggerPort, poolSize: number): Promise<Database> {
  try {
    await migratePostgres(url, logger);
  } catch (err) {
    throw toDatabaseError(`migration of ${redactUrl(url)}`, err);
  }
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  // An idle client losing its connection emits 'error' on the pool; unhandled, it would crash the process.
  // The pool discards that client and the next query opens a fresh connection.
  pool.on("error", (err) => logger.warn("database idle connection lost", { error: err.message }));
  const handle: DbHandle = drizzlePg({ client: pool, schema });
  logger.debug("database opened", { driver: "postgres", url: redactUrl(url) });
  return createDatabase({
    handle,
    driver: "postgres",
    close: () => pool.end(),
    locks: postgresLocks(url),
    listenRuns: postgresRunListener(url, (err) =>
      logger.warn("run announcements lost; listening again", { error: err.message }),
    ),
  });
}

async function openPglite(dataDir: string | undefined, logger: LoggerPort): Promise<Database> {
  let client: PGlite;
  try {
    client = await PGlite.create(dataDir === undefined ? {} : { dataDir });
  } catch (err) {
    throw new PanCodeError("UNAVAILABLE", `cannot open embedded database at ${dataDir ?? "memory"}`, { cause: err });
  }
  const db = drizzlePglite({ client, schema });
  try {
    await migratePglite(db, logger);
  } catch (err) {
    await client.close();
    throw toDatabaseError(`migration of embedded database at ${dataDir ?? "memory"}`, err);
  }
  logger.debug("database opened", { driver: "pglite", dataDir: dataDir ?? "memory" });
  return createDatabase({ handle: db, driver: "pglite", close: () => client.close() });
}

/** The URL without its password, for logs and error messages. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch (_err) {
    // Not a URL (e.g. a libpq key=value string): say nothing that could contain a secret.
    return "<database url>";
  }
}
