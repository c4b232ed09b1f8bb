import { auditEntryJson, auditVerifyJson } from "@pancode/proto";
import { z } from "zod";
import { AUDIT_FILTERS, parseAuditFilter } from "../../commands/audit.js";
import { defineTool } from "../tool.js";

/** `audit`: the newest audit entries, or the verification of the hash chain, as `pancode audit [verify] --json`. */
export const auditTool = defineTool({
  name: "audit",
  description:
    "The cluster's tamper-evident audit trail, newest first: admissions, refusals, runs, budget, workers, drain. " +
    "verify: true instead walks the whole hash chain and returns ok, or the first edited or deleted entry.",
  input: {
    filter: z
      .string()
      .optional()
      .describe(`only entries of one category (${AUDIT_FILTERS.join(", ")}) or of one run: run:<id>`),
    limit: z.number().int().min(1).max(1000).default(50).describe("how many entries (default 50)"),
    verify: z.boolean().default(false).describe("check the hash chain instead of listing (filter and limit unused)"),
  },
  async run(args, { api }) {
    if (args.verify) return auditVerifyJson(await api.verifyAudit());
    const entries = await api.listAudit({ ...parseAuditFilter(args.filter), limit: args.limit });
    return { entries: entries.map(auditEntryJson) };
  },
});
