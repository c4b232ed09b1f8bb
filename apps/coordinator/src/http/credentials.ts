import type { IncomingMessage } from "node:http";
import { parseCookies, SESSION_COOKIE } from "./cookies.js";
import { HttpError } from "./errors.js";
import type { Session } from "./sessions.js";

/** Header a browser sends with every state-changing request authenticated by the cookie (forms cannot set it). */
const CSRF_HEADER = "x-pancode-csrf";

/** Methods that change nothing: they need no CSRF header. */
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** Who the request says it is: a bearer token wins over a session cookie; "" when neither is presented. */
export interface Credentials {
  token: string;
  via: "bearer" | "cookie" | "none";
  sessionId: string | undefined;
}

/**
 * The caller's credential. A cookie-authenticated request that changes state must carry `X-PanCode-CSRF: 1`: a
 * cross-site form or image cannot add a header, so a page elsewhere cannot act with the user's session.
 */
export async function credentialsOf(
  req: IncomingMessage,
  findSession: (id: string) => Promise<Session | undefined>,
): Promise<Credentials> {
  const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "")?.[1];
  if (bearer) return { token: bearer, via: "bearer", sessionId: undefined };
  const sessionId = parseCookies(req.headers.cookie).get(SESSION_COOKIE);
  const session = sessionId ? await findSession(sessionId) : undefined;
  if (!session) return { token: "", via: "none", sessionId };
  if (!SAFE_METHODS.has(req.method ?? "GET") && req.headers[CSRF_HEADER] !== "1") {
    throw new HttpError(
      403,
      "csrf_required",
      "a request authenticated by the session cookie must carry header X-PanCode-CSRF: 1",
    );
  }
  return { token: session.token, via: "cookie", sessionId };
}
