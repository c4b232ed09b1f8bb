import { useState } from "preact/hooks";
import { type Identity, postJson } from "../api.js";
import { ErrorNote } from "../components/status.js";
import { messageOf } from "../hooks.js";

/** The token field: the same `pct_...` token as the CLI's; the server answers with an HttpOnly session cookie. */
export function LoginPage({ onLogin }: { onLogin: (identity: Identity) => void }) {
  const [token, setToken] = useState("");
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      onLogin(await postJson<Identity>("/session", { token: token.trim() }));
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="login">
      <form class="card" onSubmit={submit}>
        <h1>PanCode console</h1>
        <label for="token">Token</label>
        <input
          id="token"
          name="token"
          type="password"
          autocomplete="off"
          placeholder="pct_…"
          value={token}
          onInput={(e) => setToken((e.target as HTMLInputElement).value)}
        />
        <p class="hint">The token you use with the pancode CLI (`pancode tokens create` makes one).</p>
        <button type="submit" class="button primary" disabled={busy || token.trim() === ""}>
          Log in
        </button>
        <ErrorNote message={error} />
      </form>
    </div>
  );
}
