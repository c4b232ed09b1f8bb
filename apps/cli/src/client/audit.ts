// The JSON views live in @pancode/proto, shared with the coordinator's HTTP API (same field names).
export { auditEntryJson, auditVerifyJson } from "@pancode/proto";

import { UsageError } from "./exit-status.js";

/** The filters `pancode audit` accepts besides `run:<id>` (the coordinator knows more categories: run, worker, drain). */
export const AUDIT_FILTERS = [
  "dispatch",
  "error",
  "budget",
  "safety",
  "run",
  "worker",
  "drain",
  "keys",
  "tokens",
] as const;

/** Parses the filter argument: a category, or `run:<id>` (a unique prefix of the id is enough). */
export function parseAuditFilter(filter: string | undefined): { category?: string; runId?: string } {
  if (filter === undefined || filter === "") return {};
  if (filter.startsWith("run:")) {
    const runId = filter.slice(4).trim();
    if (!runId) throw new UsageError('run filter needs an id: "run:<id>"');
    return { runId };
  }
  if (!(AUDIT_FILTERS as readonly string[]).includes(filter)) {
    throw new UsageError(`unknown audit filter "${filter}"; use one of: ${AUDIT_FILTERS.join(", ")}, run:<id>`);
  }
  return { category: filter };
}
