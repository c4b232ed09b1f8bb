import { useEffect, useState } from "preact/hooks";
import { LocationProvider, Route, Router } from "preact-iso";
import { deleteSession, getJson, type Identity, setUnauthenticatedHandler } from "./api.js";
import { AuditPage } from "./pages/audit.js";
import { BudgetPage } from "./pages/budget.js";
import { DispatchPage } from "./pages/dispatch.js";
import { BatchesPage, BatchPage, ChainPage, ChainsPage } from "./pages/groups.js";
import { LoginPage } from "./pages/login.js";
import { NotFound } from "./pages/not-found.js";
import { RunPage } from "./pages/run.js";
import { RunsPage } from "./pages/runs.js";
import { WorkersPage } from "./pages/workers.js";
import { SessionContext } from "./session.js";

/** undefined: still asking the server; null: nobody logged in. */
type SessionState = Identity | null | undefined;

export function App() {
  const [identity, setIdentity] = useState<SessionState>(undefined);
  useEffect(() => {
    setUnauthenticatedHandler(() => setIdentity(null));
    getJson<Identity>("/session").then(setIdentity, () => setIdentity(null));
  }, []);
  if (identity === undefined) return <p class="loading">Loading…</p>;
  if (identity === null) return <LoginPage onLogin={setIdentity} />;
  const logout = async () => {
    await deleteSession().catch(() => {});
    setIdentity(null);
  };
  return (
    <SessionContext.Provider value={identity}>
      <LocationProvider>
        <Shell identity={identity} onLogout={logout}>
          <Router>
            <Route path="/" component={RunsPage} />
            <Route path="/runs" component={RunsPage} />
            <Route path="/runs/:id" component={RunPage} />
            <Route path="/batches" component={BatchesPage} />
            <Route path="/batches/:id" component={BatchPage} />
            <Route path="/chains" component={ChainsPage} />
            <Route path="/chains/:id" component={ChainPage} />
            <Route path="/dispatch" component={DispatchPage} />
            <Route path="/budget" component={BudgetPage} />
            <Route path="/audit" component={AuditPage} />
            <Route path="/workers" component={WorkersPage} />
            <Route default component={NotFound} />
          </Router>
        </Shell>
      </LocationProvider>
    </SessionContext.Provider>
  );
}

const NAV: [string, string][] = [
  ["/runs", "Runs"],
  ["/batches", "Batches"],
  ["/chains", "Chains"],
  ["/dispatch", "Dispatch"],
  ["/budget", "Budget & cost"],
  ["/audit", "Audit"],
  ["/workers", "Workers"],
];

function Shell(props: { identity: Identity; onLogout: () => void; children: preact.ComponentChildren }) {
  const { identity } = props;
  return (
    <div class="shell">
      <header class="topbar">
        <a class="brand" href="/runs">
          PanCode
        </a>
        <nav>
          {NAV.map(([href, label]) => (
            <a key={href} href={href}>
              {label}
            </a>
          ))}
        </nav>
        <span class="whoami" data-testid="whoami">
          {identity.name} · {identity.role}
          {identity.team ? ` · team ${identity.team}` : ""}
        </span>
        <button type="button" class="link" onClick={props.onLogout}>
          Log out
        </button>
      </header>
      <main>{props.children}</main>
    </div>
  );
}
