import { fileURLToPath } from "node:url";
import type { LoggerPort } from "@pancode/core";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import { migrate as migratePgDb } from "drizzle-orm/node-postgres/migrator";
import type { PgliteDatabase } from "drizzle-orm/pglite";
import { migrate as migratePgliteDb } from "drizzle-orm/pglite/migrator";
import pg from "pg";

/**
 * Folder of the committed drizzle-kit migrations. Resolved from this module's URL: `../drizzle` is the package's
 * drizzle/ folder both from src/ (tests, tsx) and from dist/ (built), so the build copies nothing.
 */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL("../drizzle", import.meta.url));

// Arbitrary constant naming "PanCode schema migrations" among advisory locks: coordinators starting together
// apply migrations one at a time instead of racing on CREATE TABLE.
const MIGRATION_LOCK_KEY = 7_340_512_881;

/**
 * Applies pending migrations to the Postgres database at `url` over one dedicated connection that holds an
 * advisory lock for the duration, so concurrent callers wait rather than collide.
 */
export async function migratePostgres(url: string, logger: LoggerPort): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query("select pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
    try {
      await migratePgDb(drizzlePg({ client }), { migrationsFolder: MIGRATIONS_FOLDER });
      logger.info("database migrations applied", { driver: "postgres", folder: MIGRATIONS_FOLDER });
    } finally {
      await client.query("select pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await client.end();
  }
}

/** Applies pending migrations to an embedded PGlite database (single process: no lock needed). */
export async function migratePglite(db: PgliteDatabase<Record<string, unknown>>, logger: LoggerPort): Promise<void> {
  await migratePgliteDb(db, { migrationsFolder: MIGRATIONS_FOLDER });
  logger.info("database migrations applied", { driver: "pglite", folder: MIGRATIONS_FOLDER });
}
