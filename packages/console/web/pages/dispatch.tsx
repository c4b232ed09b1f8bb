import { useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { allows, getJson, needsRole, postJson } from "../api.js";
import { ErrorNote } from "../components/status.js";
import { formatTime, shortId } from "../format.js";
import { messageOf, useData } from "../hooks.js";
import { useIdentity } from "../session.js";
import type { AgentSummary, Workspace } from "../types.js";

/** "commit 1a2b3c4d · 12/5/2026, 3:01 AM · as for: <task>" */
function workspaceLabel(w: Workspace): string {
  const task = w.task ? ` · as for: ${w.task.length > 60 ? `${w.task.slice(0, 60)}…` : w.task}` : "";
  return `commit ${shortId(w.commit ?? w.ref)} · ${formatTime(w.uploadedAt)}${task}`;
}

/** "pi · read-only · Reviews the diff" : what the agent suggestion shows beside its name. */
function agentLabel(a: AgentSummary): string {
  return [a.runtime, a.readonly ? "read-only" : "", a.description].filter(Boolean).join(" · ");
}

/**
 * A run on a repository state this user's CLI already uploaded. Isolate is implied: the patch waits for
 * `pancode apply` on the developer's machine.
 */
export function DispatchPage() {
  const me = useIdentity();
  const { route } = useLocation();
  const workspaces = useData(() => getJson<{ workspaces: Workspace[] }>("/workspaces"), []);
  // Suggestions only: an agent defined in the workspace's own .pancode/agents is typed by name.
  const agents = useData(() => getJson<{ agents: AgentSummary[] }>("/agents"), []);
  const [form, setForm] = useState({ task: "", agent: "", model: "", workspace: "" });
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const permitted = allows(me.role, "member");
  const set = (key: keyof typeof form) => (event: Event) =>
    setForm({ ...form, [key]: (event.target as HTMLInputElement).value });
  const list = workspaces.data?.workspaces ?? [];
  const workspace = form.workspace || list[0]?.ref || "";
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const body = {
        task: form.task,
        agent: form.agent.trim(),
        workspace,
        ...(form.model ? { model: form.model } : {}),
      };
      const { id } = await postJson<{ id: string }>("/runs", body);
      route(`/runs/${id}`);
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section>
      <h1>Dispatch</h1>
      {!permitted && <p class="hint">{needsRole("dispatch", "member", me)}</p>}
      <form class="card form" onSubmit={submit}>
        <label for="workspace">Workspace</label>
        <select id="workspace" name="workspace" value={workspace} onChange={set("workspace")} disabled={!permitted}>
          {list.length === 0 && (
            <option value="">{workspaces.data ? "no workspace uploaded by your CLI yet" : "loading…"}</option>
          )}
          {list.map((w) => (
            <option key={w.ref} value={w.ref}>
              {workspaceLabel(w)}
            </option>
          ))}
        </select>
        <ErrorNote message={workspaces.error} />
        <label for="agent">Agent</label>
        <input
          id="agent"
          name="agent"
          list="cluster-agents"
          value={form.agent}
          onInput={set("agent")}
          placeholder={agents.data?.agents[0]?.name ? `e.g. ${agents.data.agents[0].name}` : "e.g. pi"}
          required
        />
        <datalist id="cluster-agents">
          {(agents.data?.agents ?? []).map((a) => (
            <option key={a.name} value={a.name} label={agentLabel(a)} />
          ))}
        </datalist>
        <label for="model">Model (optional)</label>
        <input id="model" name="model" value={form.model} onInput={set("model")} placeholder="the agent's default" />
        <label for="task">Task</label>
        <textarea id="task" name="task" rows={6} value={form.task} onInput={set("task")} required />
        <p class="hint">{"The patch is not applied anywhere: `pancode apply <run>` merges it on your machine."}</p>
        <button
          type="submit"
          class="button primary"
          disabled={!permitted || busy || !workspace || !form.task.trim() || !form.agent.trim()}
        >
          Dispatch
        </button>
        <ErrorNote message={error} />
      </form>
    </section>
  );
}
