import type { AgentEvent, Entry } from "../events.js";

/**
 * The run's events as a timeline: turns, tool calls with their arguments and results, assistant text, usage and
 * lifecycle. Everything is rendered as text nodes: an agent's output is untrusted.
 */
export function Timeline({ entries }: { entries: Entry[] }) {
  const results = new Map<string, AgentEvent>();
  for (const e of entries) {
    if (e.event?.type === "tool_result" && e.event.id) results.set(e.event.id, e.event);
  }
  const shown = entries.filter((e) => e.kind === "agent" || e.kind === "status" || e.kind === "safety");
  if (shown.length === 0) return <p class="empty">No events yet.</p>;
  return (
    <ol class="timeline" data-testid="timeline">
      {shown.map((e) => (
        <li key={e.seq} class={`event event-${e.event?.type ?? e.kind}`} data-seq={e.seq}>
          <time>{new Date(e.at).toLocaleTimeString()}</time>
          {e.event ? <AgentItem event={e.event} results={results} /> : <Lifecycle kind={e.kind} text={e.text} />}
        </li>
      ))}
    </ol>
  );
}

function Lifecycle({ kind, text }: { kind: string; text: string }) {
  return (
    <div>
      <span class="tag">{kind}</span> <span class="pre-line">{text}</span>
    </div>
  );
}

function AgentItem({ event, results }: { event: AgentEvent; results: Map<string, AgentEvent> }) {
  switch (event.type) {
    case "turn_start":
      return <strong class="turn">Turn {event.turn}</strong>;
    case "turn_end":
      return <span class="muted">end of turn {event.turn}</span>;
    case "tool_call": {
      const result = event.id ? results.get(event.id) : undefined;
      return (
        <div class="tool">
          <span class="tag">tool</span> <code>{event.tool}</code>
          {result && (
            <span class={result.isError ? "tool-result error-text" : "tool-result ok-text"}>
              {result.isError ? " → error" : " → ok"}
            </span>
          )}
          <pre class="args">{event.args}</pre>
        </div>
      );
    }
    case "tool_result":
      return (
        <span class="muted">
          result of <code>{event.tool}</code>: {event.isError ? "error" : "ok"}
        </span>
      );
    case "assistant_text":
      return <p class="assistant pre-wrap">{event.text}</p>;
    case "final":
      return (
        <div>
          <span class="tag">final</span>
          <pre class="final">{event.text}</pre>
        </div>
      );
    case "usage":
    case "model_call":
      return <UsageLine event={event} />;
    case "agent_error":
      return <span class="error-text">agent error: {event.message}</span>;
    default:
      return <code>{JSON.stringify(event)}</code>;
  }
}

function UsageLine({ event }: { event: AgentEvent }) {
  const usage = event.usage;
  const where = event.type === "model_call" ? `${event.provider}/${event.model} (${event.status}) ` : "";
  return (
    <span class="muted">
      <span class="tag">{event.type === "model_call" ? "model call" : "usage"}</span> {where}
      {usage ? `${usage.input} in, ${usage.output} out` : ""}
      {usage?.costUsd != null ? `, $${usage.costUsd.toFixed(4)}` : ""}
      {event.error ? ` ${event.error}` : ""}
    </span>
  );
}
