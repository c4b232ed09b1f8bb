import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { Identity } from "./api.js";

/** Who is logged in; every page below the login has one. */
export const SessionContext = createContext<Identity | null>(null);

export function useIdentity(): Identity {
  const identity = useContext(SessionContext);
  if (!identity) throw new Error("no session: pages render only after login");
  return identity;
}
