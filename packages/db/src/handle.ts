import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import type * as schema from "./schema/index.js";

/**
 * The drizzle handle every query takes: the common base of the node-postgres and PGlite databases, so one query
 * implementation serves both drivers. Internal to this package.
 */
export type DbHandle = PgDatabase<PgQueryResultHKT, typeof schema>;
