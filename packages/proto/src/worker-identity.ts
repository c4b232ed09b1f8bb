/** Metadata header carrying a worker's session token (from Register) on every other WorkerService call. */
export const WORKER_SESSION_HEADER = "x-pancode-worker-session";

/**
 * What a worker signs with its Ed25519 key to register: a domain tag, its id and the coordinator's nonce, so a
 * signature can be neither replayed for another id nor reused from another protocol.
 */
export function registrationPayload(workerId: string, challenge: string): Buffer {
  return Buffer.from(`pancode-worker-register/v1\n${workerId}\n${challenge}`, "utf8");
}
