import type { IncomingMessage } from "node:http";
import net from "node:net";
import type { Duplex } from "node:stream";

/** `host:port` normalised for comparison (lowercase host, brackets kept for IPv6). */
function normalise(target: string): string {
  return target.trim().toLowerCase();
}

/** Splits `host:port` / `[v6]:port`; undefined when it is not one. */
function parseTarget(target: string): { host: string; port: number } | undefined {
  const match = /^(\[[^\]]+\]|[^:[\]]+):(\d{1,5})$/.exec(target.trim());
  if (!match) return undefined;
  const port = Number(match[2]);
  if (port < 1 || port > 65535) return undefined;
  return { host: (match[1] ?? "").replace(/^\[|\]$/g, ""), port };
}

/**
 * Serves one HTTP CONNECT: tunnels to the target when it is on the allowlist (exact `host:port`), else answers 403
 * and reports it. The proxy never looks inside the tunnel (it is TLS end to end).
 */
export function handleConnect(
  req: IncomingMessage,
  client: Duplex,
  head: Buffer,
  allow: readonly string[],
  onRefused: (target: string) => void,
): void {
  const target = req.url ?? "";
  const parsed = parseTarget(target);
  client.on("error", () => client.destroy());
  if (!parsed || !allow.some((entry) => normalise(entry) === normalise(target))) {
    onRefused(target);
    client.end("HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\negress not allowed\n");
    return;
  }
  const upstream = net.connect(parsed.port, parsed.host);
  upstream.once("connect", () => {
    client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
    if (head.length > 0) upstream.write(head);
    upstream.pipe(client);
    client.pipe(upstream);
  });
  upstream.on("error", () => {
    if (upstream.connecting) client.end("HTTP/1.1 502 Bad Gateway\r\nconnection: close\r\n\r\n");
    else client.destroy();
  });
  client.on("close", () => upstream.destroy());
  upstream.on("close", () => client.destroy());
}
