import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { ApiError } from "./api.js";

/** What a page fetched: the value, or the error to show, and a way to fetch again. */
export interface Loaded<T> {
  data: T | undefined;
  error: string | undefined;
  reload: () => void;
  /** Replaces the value with one that arrived otherwise (a live stream). */
  set: (value: T) => void;
}

/** Fetches with `load` whenever `deps` change; `reload()` fetches again, keeping the old value meanwhile. */
export function useData<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let current = true;
    load().then(
      (value) => {
        if (!current) return;
        setData(value);
        setError(undefined);
      },
      (err: unknown) => current && setError(messageOf(err)),
    );
    return () => {
      current = false;
    };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, reload, set: setData };
}

/** The one-line message of a failure (the server's own for API errors). */
export function messageOf(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  return err instanceof Error ? err.message : String(err);
}

/** Calls `tick` every `ms` while the page is shown. */
export function useInterval(tick: () => void, ms: number | null): void {
  const saved = useRef(tick);
  saved.current = tick;
  useEffect(() => {
    if (ms === null) return;
    const timer = setInterval(() => saved.current(), ms);
    return () => clearInterval(timer);
  }, [ms]);
}

/** Handlers of one server-sent event stream: `message` is the unnamed events, the rest by event name. */
export type SseHandlers = Record<string, (data: string, lastEventId: string) => void>;

/**
 * Subscribes to a server-sent event stream while `url` is set; the browser resumes with Last-Event-ID after a
 * drop. Returns whether the stream is open (the page falls back to polling when it is not).
 */
export function useEventStream(url: string | null, handlers: SseHandlers): boolean {
  const saved = useRef(handlers);
  saved.current = handlers;
  const [open, setOpen] = useState(false);
  useEffect(() => {
    if (!url) return;
    const source = new EventSource(url, { withCredentials: true });
    const names = Object.keys(saved.current);
    const listeners = names.map((name) => {
      const listener = (event: Event) => {
        const message = event as MessageEvent<string>;
        saved.current[name]?.(message.data, message.lastEventId);
      };
      source.addEventListener(name, listener);
      return listener;
    });
    source.onopen = () => setOpen(true);
    source.onerror = () => setOpen(source.readyState === EventSource.OPEN);
    return () => {
      names.forEach((name, i) => {
        const listener = listeners[i];
        if (listener) source.removeEventListener(name, listener);
      });
      source.close();
      setOpen(false);
    };
  }, [url]);
  return open;
}
