import { randomBytes } from "node:crypto";

/** A fresh per-run proxy token: what the agent holds instead of a provider key (worthless outside its run's proxy). */
export function newProxyToken(): string {
  return `pcp_${randomBytes(24).toString("base64url")}`;
}
