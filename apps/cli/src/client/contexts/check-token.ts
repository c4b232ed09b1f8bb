import type { ClientApi, WhoAmIResponse } from "@pancode/proto";

/**
 * Proves that `connection`'s token is accepted by its coordinator and says whose it is, or throws the coordinator's
 * refusal (UNAUTHENTICATED: unknown, revoked or expired) or the connection failure (UNAVAILABLE). `pancode login`
 * saves nothing until this passes. WhoAmI is open to every role, so any valid person's token passes.
 */
export async function checkToken(connection: ClientApi): Promise<WhoAmIResponse> {
  return connection.whoAmI();
}
