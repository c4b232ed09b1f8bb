import http, { type IncomingHttpHeaders } from "node:http";

/** One complete HTTP exchange as the client saw it. */
export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** True when the response broke off before its end. */
  broken: boolean;
}

export interface Target {
  /** Unix socket of the proxy, or undefined for a TCP URL. */
  socketPath?: string;
  /** `http://host:port` when not a socket. */
  origin?: string;
}

/** Sends one request and reads the whole answer (a broken one is returned with `broken`, not thrown). */
export function send(
  target: Target,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const base = target.origin ? new URL(target.origin) : undefined;
    const req = http.request({
      method,
      path,
      headers: body === undefined ? headers : { "content-type": "application/json", ...headers },
      ...(target.socketPath ? { socketPath: target.socketPath } : { host: base?.hostname, port: base?.port }),
      agent: false,
    });
    req.on("error", reject);
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      let settled = false;
      const done = (broken: boolean): void => {
        if (settled) return;
        settled = true;
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), broken });
      };
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => done(false));
      res.on("error", () => done(true));
      res.on("close", () => done(!res.complete));
    });
    req.end(body);
  });
}

/** Removes what differs between two answers to the same scripted turn: generated ids and timestamps. */
export function withoutIds(body: Buffer): string {
  return body
    .toString("utf8")
    .replace(/[0-9a-f]{32}/g, "<id>")
    .replace(/"(created|created_at)":\s*\d+/g, '"$1":0');
}
