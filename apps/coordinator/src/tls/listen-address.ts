import { isIP } from "node:net";

/** The host part of a `host:port` listen address ("" for `:7400`), without IPv6 brackets. */
export function listenHost(listen: string): string {
  const host = listen.slice(0, Math.max(0, listen.lastIndexOf(":")));
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

/**
 * True when `listen` only accepts connections from this machine: 127.0.0.0/8, ::1 or localhost. Anything else,
 * including the unspecified addresses (0.0.0.0, ::, an empty host), is reachable from the network.
 */
export function isLoopbackListen(listen: string): boolean {
  const host = listenHost(listen).toLowerCase();
  if (host === "localhost" || host === "::1") return true;
  return isIP(host) === 4 && host.startsWith("127.");
}
