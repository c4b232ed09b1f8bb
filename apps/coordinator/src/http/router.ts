/** Path parameters of a matched route, by name (`/runs/:id` -> `{ id }`), already URL-decoded. */
export type Params = Record<string, string>;

/** One route: method, pattern with `:name` segments, and what answers it. */
export interface Route<H> {
  method: string;
  path: string;
  handler: H;
}

/** What matching a request found: the handler, no such path, or a path that exists under other methods. */
export type Match<H> =
  | { kind: "found"; handler: H; params: Params }
  | { kind: "not-found" }
  | { kind: "method-not-allowed"; allow: string[] };

interface Compiled<H> extends Route<H> {
  segments: string[];
}

/** A small exact-segment router: `/api/v1/runs/:id/events` matches `/api/v1/runs/abc/events` only. */
export class Router<H> {
  readonly #routes: Compiled<H>[];

  constructor(routes: readonly Route<H>[]) {
    this.#routes = routes.map((r) => ({ ...r, segments: r.path.split("/").filter(Boolean) }));
  }

  match(method: string, pathname: string): Match<H> {
    const parts = pathname.split("/").filter(Boolean);
    const allow: string[] = [];
    for (const route of this.#routes) {
      const params = matchSegments(route.segments, parts);
      if (!params) continue;
      if (route.method === method || (method === "HEAD" && route.method === "GET")) {
        return { kind: "found", handler: route.handler, params };
      }
      allow.push(route.method);
    }
    return allow.length > 0 ? { kind: "method-not-allowed", allow } : { kind: "not-found" };
  }
}

function matchSegments(pattern: readonly string[], parts: readonly string[]): Params | undefined {
  if (pattern.length !== parts.length) return undefined;
  const params: Params = {};
  for (let i = 0; i < pattern.length; i++) {
    const want = pattern[i] as string;
    const got = parts[i] as string;
    if (want.startsWith(":")) {
      let value: string;
      try {
        value = decodeURIComponent(got);
      } catch {
        return undefined;
      }
      params[want.slice(1)] = value;
    } else if (want !== got) return undefined;
  }
  return params;
}
