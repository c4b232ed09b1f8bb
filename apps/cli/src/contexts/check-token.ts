import type { ClientApi } from "@pancode/proto";

/**
 * Proves that `connection`'s token is accepted by its coordinator, or throws the coordinator's refusal
 * (UNAUTHENTICATED) or the connection failure (UNAVAILABLE). `pancode login` saves nothing until this passes.
 *
 * ClusterInfo is the cheapest call any valid client token may make today. When the coordinator has per-person
 * tokens, point this at WhoAmI (and return who the token belongs to): it is the only place login checks a token.
 */
export async function checkToken(connection: ClientApi): Promise<void> {
  await connection.clusterInfo();
}
