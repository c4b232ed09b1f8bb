import { timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http";
import type { ProxyProvider } from "./types.js";

/** Headers that carry a credential in one of the APIs; the agent's are never forwarded. */
const CREDENTIAL_HEADERS = ["authorization", "x-api-key", "x-goog-api-key", "api-key", "proxy-authorization"];

/** Hop-by-hop headers (RFC 9110 §7.6.1) a proxy must not forward; `host` is set for the upstream, and the body is
 * sent whole, so `expect: 100-continue` (already answered to the agent) is not passed on. */
const HOP_HEADERS = ["connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade", "host", "expect"];

/** Every credential the agent presented (any of the four places an SDK may put it). */
function presentedTokens(headers: IncomingHttpHeaders, url: URL): string[] {
  const tokens: string[] = [];
  const bearer = /^Bearer\s+(.+)$/i.exec(String(headers.authorization ?? ""))?.[1];
  if (bearer) tokens.push(bearer.trim());
  for (const name of ["x-api-key", "x-goog-api-key", "api-key"]) {
    const value = headers[name];
    if (typeof value === "string" && value !== "") tokens.push(value.trim());
  }
  const key = url.searchParams.get("key");
  if (key) tokens.push(key);
  return tokens;
}

/** True when the agent presented the run token and nothing else (a second, different credential is refused). */
export function carriesRunToken(headers: IncomingHttpHeaders, url: URL, runToken: string): boolean {
  const tokens = presentedTokens(headers, url);
  return tokens.length > 0 && tokens.every((token) => sameSecret(token, runToken));
}

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** The agent's headers minus its credentials and hop-by-hop headers, plus the provider's real key. */
export function upstreamHeaders(
  headers: IncomingHttpHeaders,
  provider: ProxyProvider,
  host: string,
): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  const connectionListed = String(headers.connection ?? "")
    .split(",")
    .map((name) => name.trim().toLowerCase());
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || CREDENTIAL_HEADERS.includes(name) || HOP_HEADERS.includes(name)) continue;
    if (connectionListed.includes(name)) continue;
    out[name] = value;
  }
  out.host = host;
  if (provider.apiKey === "") return out;
  switch (provider.api) {
    case "openai-completions":
    case "openai-responses":
      out.authorization = `Bearer ${provider.apiKey}`;
      break;
    case "anthropic-messages":
      out["x-api-key"] = provider.apiKey;
      break;
    case "google":
      out["x-goog-api-key"] = provider.apiKey;
      break;
  }
  return out;
}

/** The upstream URL for `rest` (path after `/<provider>`, with the query minus the agent's `key`). */
export function upstreamUrl(baseUrl: string, rest: string, search: URLSearchParams): URL {
  const base = new URL(baseUrl);
  const basePath = base.pathname.replace(/\/+$/, "");
  let path = rest.startsWith("/") ? rest : `/${rest}`;
  // A base URL that already ends in the version segment the agent also sends (`/v1` + `/v1/chat/completions`)
  // would double it; the convention is that the agent's path is appended as is, so drop the repeat.
  const lastSegment = /\/[^/]+$/.exec(basePath)?.[0];
  if (
    lastSegment &&
    /^\/v\d+(alpha|beta)?\d*$/.test(lastSegment) &&
    (path === lastSegment || path.startsWith(`${lastSegment}/`))
  ) {
    path = path.slice(lastSegment.length) || "/";
  }
  const url = new URL(base.origin);
  url.pathname = `${basePath}${path}`;
  const query = new URLSearchParams(search);
  query.delete("key");
  const queryText = query.toString();
  url.search = queryText === "" ? "" : `?${queryText}`;
  return url;
}
