/** `GET /api/v1/runs/{id}/receipt`: the receipt as `receipt --json` shows it, and the server's verification. */
export interface ReceiptResponse {
  receipt: {
    receiptId: string;
    runId?: string;
    contentHash: string;
    createdAt: string;
    statement: { predicate?: Record<string, unknown> } & Record<string, unknown>;
    signatures: (string | { keyid?: string })[];
  };
  verification: {
    ok: boolean;
    checks?: unknown[];
    failures?: string[];
    coordinatorOnly?: boolean;
  };
}

/** The verdict first (PASS or TAMPERED), then what was checked, who signed, and the statement. */
export function ReceiptView({ data }: { data: ReceiptResponse }) {
  const { receipt, verification } = data;
  const predicate = receipt.statement.predicate ?? {};
  const parameters = (predicate.parameters ?? {}) as Record<string, unknown>;
  const results = (predicate.results ?? {}) as Record<string, unknown>;
  return (
    <div class="receipt" data-testid="receipt">
      <p class={verification.ok ? "verdict pass" : "verdict tampered"} data-testid="verdict">
        {verification.ok ? "PASS" : "TAMPERED"}
        {verification.coordinatorOnly ? " (coordinator-only receipt: the coordinator ended this run)" : ""}
      </p>
      {(verification.checks?.length ?? 0) > 0 && (
        <ul class="checks">
          {verification.checks?.map((check, i) => (
            <Check key={i} check={check} />
          ))}
        </ul>
      )}
      {(verification.failures?.length ?? 0) > 0 && (
        <ul class="checks">
          {verification.failures?.map((f) => (
            <li key={f} class="error-text">
              {f}
            </li>
          ))}
        </ul>
      )}
      <dl class="facts">
        <dt>receipt</dt>
        <dd class="mono">{receipt.receiptId}</dd>
        <dt>hash</dt>
        <dd class="mono">{receipt.contentHash}</dd>
        <dt>signed by</dt>
        <dd class="mono" data-testid="signatures">
          {receipt.signatures.map((s) => (typeof s === "string" ? s : (s.keyid ?? "?"))).join(", ")}
        </dd>
        <dt>issuer</dt>
        <dd>{text(predicate.issuer)}</dd>
        <dt>agent</dt>
        <dd>{text(parameters.agent)}</dd>
        <dt>image</dt>
        <dd class="mono">{text(parameters.image)}</dd>
        <dt>base commit</dt>
        <dd class="mono">{text(parameters.baseCommit)}</dd>
        <dt>status</dt>
        <dd>{text(results.status)}</dd>
        <dt>patch</dt>
        <dd class="mono">{text(results.patchDigest)}</dd>
        <dt>created</dt>
        <dd>{receipt.createdAt}</dd>
      </dl>
      <details>
        <summary>Statement (JSON)</summary>
        <pre class="json">{JSON.stringify(receipt.statement, null, 2)}</pre>
      </details>
    </div>
  );
}

function Check({ check }: { check: unknown }) {
  if (typeof check === "string") return <li>{check}</li>;
  const c = (check ?? {}) as { name?: string; check?: string; ok?: boolean; message?: string; detail?: string };
  const label = c.name ?? c.check ?? JSON.stringify(check);
  return (
    <li class={c.ok === false ? "error-text" : ""}>
      {c.ok === undefined ? "" : c.ok ? "✓ " : "✗ "}
      {label}
      {c.message || c.detail ? `: ${c.message ?? c.detail}` : ""}
    </li>
  );
}

function text(value: unknown): string {
  if (value === undefined || value === null || value === "") return "-";
  return typeof value === "string" ? value : JSON.stringify(value);
}
