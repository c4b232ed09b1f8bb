import { useState } from "preact/hooks";
import { allows, needsRole, type Role } from "../api.js";
import { messageOf } from "../hooks.js";
import { useIdentity } from "../session.js";

interface ActionProps {
  /** What the button says. */
  label: string;
  /** The action as the role table names it, for the "needs role" note (e.g. "stop run"). */
  action: string;
  needs: Role;
  run: () => Promise<unknown>;
  onDone?: () => void;
  confirm?: string;
  class?: string;
}

/**
 * A button for a state change. A role that may not do it sees it disabled with the reason; when the server
 * refuses anyway (a member stopping someone else's run), its one-line message is shown as is.
 */
export function ActionButton(props: ActionProps) {
  const me = useIdentity();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const permitted = allows(me.role, props.needs);
  const click = async () => {
    if (props.confirm && !window.confirm(props.confirm)) return;
    setBusy(true);
    setError(undefined);
    try {
      await props.run();
      props.onDone?.();
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <span class="action">
      <button type="button" class={props.class ?? "button"} disabled={!permitted || busy} onClick={click}>
        {props.label}
      </button>
      {!permitted && <span class="hint">{needsRole(props.action, props.needs, me)}</span>}
      {error && (
        <span class="error" role="alert">
          {error}
        </span>
      )}
    </span>
  );
}
