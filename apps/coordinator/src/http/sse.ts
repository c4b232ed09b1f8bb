import type { ServerResponse } from "node:http";

/** A comment line this often keeps proxies and browsers from closing an idle stream. */
const KEEPALIVE_MS = 15_000;

/** A server-sent events stream on `res`. */
export interface EventStream {
  /** One message: `event` (omitted = "message"), `id` (the client's Last-Event-ID on reconnect), JSON `data`. */
  send(message: { event?: string; id?: number; data: unknown }): Promise<void>;
  end(): void;
}

/** Starts a `text/event-stream` answer. JSON never spans lines, so each message is a single `data:` line. */
export function openEventStream(res: ServerResponse): EventStream {
  res.writeHead(200, {
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-cache",
    Connection: "keep-alive",
    "X-Accel-Buffering": "no",
  });
  res.flushHeaders();
  const keepalive = setInterval(() => res.write(": keepalive\n\n"), KEEPALIVE_MS);
  keepalive.unref();
  return {
    async send({ event, id, data }) {
      const lines = [...(event ? [`event: ${event}`] : []), ...(id !== undefined ? [`id: ${id}`] : [])];
      lines.push(`data: ${JSON.stringify(data)}`);
      if (!res.write(`${lines.join("\n")}\n\n`)) {
        await new Promise<void>((resolve) => {
          res.once("drain", resolve);
          res.once("close", resolve);
        });
      }
    },
    end() {
      clearInterval(keepalive);
      res.end();
    },
  };
}
