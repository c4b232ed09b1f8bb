import { useEffect, useRef, useState } from "preact/hooks";
import type { Entry } from "../events.js";

/** Output and worker notes (stdout, stderr, log, status) as text lines; "follow" keeps the newest in view. */
export function Logs({ entries }: { entries: Entry[] }) {
  const [follow, setFollow] = useState(true);
  const box = useRef<HTMLPreElement>(null);
  const lines = entries.filter((e) => e.event === null);
  useEffect(() => {
    if (follow && box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [follow, lines.length]);
  return (
    <div>
      <label class="inline">
        <input type="checkbox" checked={follow} onChange={(e) => setFollow((e.target as HTMLInputElement).checked)} />{" "}
        follow
      </label>
      <pre class="logs" ref={box} data-testid="logs">
        {lines.length === 0
          ? "no output yet"
          : lines.map((e) => (
              <div key={e.seq} class={`log log-${e.kind}`}>
                <span class="log-kind">{e.kind.padEnd(6)}</span>
                {e.text}
              </div>
            ))}
      </pre>
    </div>
  );
}
