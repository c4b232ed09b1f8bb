import { useState } from "preact/hooks";
import { getJson, query } from "../api.js";
import { AuditTable } from "../components/audit-table.js";
import { ErrorNote } from "../components/status.js";
import { messageOf, useData } from "../hooks.js";
import type { AuditEntry, AuditVerify } from "../types.js";

/** The categories `pancode audit` filters by. */
const CATEGORIES = ["", "dispatch", "error", "budget", "safety", "run", "worker", "drain", "keys", "tokens"];

/** The audit trail with the CLI's filters, and a check of its hash chain. */
export function AuditPage() {
  const [category, setCategory] = useState("");
  const [run, setRun] = useState("");
  const [limit, setLimit] = useState("50");
  const audit = useData(
    () => getJson<{ entries: AuditEntry[] }>(`/audit${query({ category, run, limit })}`),
    [category, run, limit],
  );
  return (
    <section>
      <h1>Audit</h1>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          category
          <select name="category" value={category} onChange={(e) => setCategory((e.target as HTMLSelectElement).value)}>
            {CATEGORIES.map((c) => (
              <option key={c} value={c}>
                {c || "any"}
              </option>
            ))}
          </select>
        </label>
        <label>
          run
          <input name="run" value={run} onChange={(e) => setRun((e.target as HTMLInputElement).value.trim())} />
        </label>
        <label>
          limit
          <input name="limit" value={limit} size={5} onChange={(e) => setLimit((e.target as HTMLInputElement).value)} />
        </label>
      </form>
      <Verify />
      <ErrorNote message={audit.error} />
      <AuditTable entries={audit.data?.entries} />
    </section>
  );
}

function Verify() {
  const [result, setResult] = useState<AuditVerify | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const verify = async () => {
    setError(undefined);
    try {
      setResult(await getJson<AuditVerify>("/audit/verify"));
    } catch (err) {
      setError(messageOf(err));
    }
  };
  return (
    <div class="verify">
      <button type="button" class="button" onClick={verify}>
        Verify the chain
      </button>
      {result && (
        <span class={result.ok ? "verdict pass" : "verdict tampered"} data-testid="audit-verify">
          {result.ok ? "OK" : "BROKEN"} {result.message}
        </span>
      )}
      <ErrorNote message={error} />
    </div>
  );
}
