import { connect, type NatsConnection } from "@nats-io/transport-node";
import { PanCodeError } from "@pancode/core";

/** How to reach NATS. */
export interface NatsConnectOptions {
  /** One server URL, or several comma-separated (the nodes of a NATS cluster; the client fails over among them). */
  url: string;
  token?: string;
  /** User and password (the server's `authorization.users`); each process role has its own. */
  user?: string;
  pass?: string;
  /** Shown in NATS monitoring. */
  connectionName: string;
}

/** Opens the bus's one NATS connection; UNAVAILABLE (retryable) when the server cannot be reached. */
export async function connectNats(options: NatsConnectOptions): Promise<NatsConnection> {
  try {
    return await connect({
      servers: natsServers(options.url),
      name: options.connectionName,
      // A worker or coordinator outlives NATS restarts: keep reconnecting instead of dying after 10 tries.
      maxReconnectAttempts: -1,
      // Without this every request (each JetStream publish and API call) captures a stack in an Error made in
      // advance, in case it fails: about 6% of the coordinator's CPU under a burst of admissions
      // (bench/README.md, admissions). Our errors name the operation themselves.
      noAsyncTraces: true,
      ...(options.token ? { token: options.token } : {}),
      ...(options.user ? { user: options.user, pass: options.pass ?? "" } : {}),
    });
  } catch (err) {
    throw new PanCodeError("UNAVAILABLE", `cannot connect to NATS at ${safeUrl(options.url)}`, {
      cause: err,
      retryable: true,
    });
  }
}

/** The servers of NATS_URL: "nats://a:4222,nats://b:4222" lists a cluster's nodes. */
export function natsServers(url: string): string[] {
  return url
    .split(",")
    .map((server) => server.trim())
    .filter(Boolean);
}

/** Strips credentials from a URL (or each of a list) before it goes into an error message. */
export function safeUrl(url: string): string {
  if (url.includes(",")) return natsServers(url).map(safeUrl).join(",");
  try {
    const parsed = new URL(url);
    parsed.username = "";
    parsed.password = "";
    return parsed.toString();
  } catch (_err) {
    // Not a URL (e.g. "host:port"): strip anything that looks like userinfo all the same.
    return url.replace(/\/\/[^@/]*@/, "//");
  }
}

// JetStream API error codes: 10014 consumer not found, 10037 no message found, 10057 message delete failed,
// 10059 stream not found.
function apiErrorCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "number" ? code : undefined;
}

/** True for the JetStream API error "consumer not found". */
export function isConsumerNotFound(err: unknown): boolean {
  return apiErrorCode(err) === 10014;
}

/** True for the JetStream API errors meaning the stream message is not there (any more). */
export function isNoMessage(err: unknown): boolean {
  const code = apiErrorCode(err);
  return code === 10037 || code === 10057;
}

/** True for the JetStream API error "stream not found". */
export function isStreamNotFound(err: unknown): boolean {
  return apiErrorCode(err) === 10059 || (err as { name?: unknown } | null)?.name === "StreamNotFoundError";
}
