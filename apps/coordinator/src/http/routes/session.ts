import type { WhoAmIResponse } from "@pancode/proto";
import { type ApiContext, type ApiHandler, jsonBody, stringField } from "../context.js";
import { clearedSessionCookie, sessionCookie } from "../cookies.js";
import type { Route } from "../router.js";

/** Who a session or token is, as `pancode whoami --json` names the fields. */
function whoJson(me: WhoAmIResponse) {
  return { name: me.name, role: me.role || null, team: me.team || null, expiresAt: me.expiresAt || null };
}

/** `POST /api/v1/session {token}`: checks the token as the gRPC API does, then hands out an HttpOnly cookie. */
async function login(ctx: ApiContext) {
  const token = stringField(await jsonBody(ctx.req), "token", true);
  const me = await ctx.api.unary("whoAmI", {}, token);
  const { id, session } = await ctx.sessions.open(token, me.expiresAt ? Date.parse(me.expiresAt) : 0);
  const maxAgeSeconds = Math.max(1, Math.floor((session.expiresAt - Date.now()) / 1000));
  return {
    headers: { "Set-Cookie": sessionCookie(id, { secure: ctx.secure, maxAgeSeconds }) },
    json: whoJson(me),
  };
}

async function logout(ctx: ApiContext) {
  if (ctx.sessionId) await ctx.sessions.close(ctx.sessionId);
  return { headers: { "Set-Cookie": clearedSessionCookie(ctx.secure) }, json: { loggedOut: true } };
}

export const sessionRoutes: Route<ApiHandler>[] = [
  {
    method: "GET",
    path: "/api/v1/session",
    handler: async (ctx) => ({ json: whoJson(await ctx.api.unary("whoAmI", {}, ctx.token)) }),
  },
  { method: "POST", path: "/api/v1/session", handler: login },
  { method: "DELETE", path: "/api/v1/session", handler: logout },
];
