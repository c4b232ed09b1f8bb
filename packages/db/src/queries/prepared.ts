import type { DbHandle } from "../handle.js";

/**
 * One drizzle prepared query per database handle, built on first use: the reads concurrent admissions share (one
 * per batch of them: the drain flag, the caller's token, a blob's presence, a commit's bundle) skip drizzle's query
 * building, and node-postgres parses the named statement once per connection instead of on every call
 * (bench/README.md, admissions). `build` must call `.prepare(name)` with a name no other query uses.
 */
export function preparedPer<Q>(build: (db: DbHandle) => Q): (db: DbHandle) => Q {
  const built = new WeakMap<DbHandle, Q>();
  return (db) => {
    let query = built.get(db);
    if (query === undefined) {
      query = build(db);
      built.set(db, query);
    }
    return query;
  };
}
