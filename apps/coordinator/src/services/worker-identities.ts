import { createHash, createPublicKey, randomBytes, timingSafeEqual, verify } from "node:crypto";
import { PanCodeError } from "@pancode/core";
import type { Database, WorkerIdentityRow } from "@pancode/db";
import { registrationPayload } from "@pancode/proto";
import { keyIdOf } from "@pancode/receipts";
import type { Logger } from "@pancode/telemetry";
import type { AuditLog } from "./audit-log.js";

/** How long a registration challenge may be answered. */
const CHALLENGE_TTL_MS = 60_000;
/** Open challenges kept at most; beyond that the oldest go (a flood of challenge requests cannot grow memory). */
const MAX_OPEN_CHALLENGES = 10_000;
/** Session tokens: `ws1.<base64url worker id>.<base64url secret>`; only the secret's hash is stored. */
const SESSION_PREFIX = "ws1";

/** The identity store as worker identities use it: key bindings and the public keys. */
export type IdentityStore = Pick<
  Database,
  "bindWorkerIdentity" | "getWorkerIdentity" | "readmitWorker" | "recordKey" | "listKeys"
>;

/** What a worker presents to register. */
export interface RegistrationProof {
  workerId: string;
  publicKeyPem: string;
  challenge: string;
  signature: Uint8Array;
}

/**
 * Worker identities: a worker id is bound to the Ed25519 key of its first registration, every registration proves
 * that key by signing a fresh challenge, and each registration issues a session token that the worker's other calls
 * carry. A revoked key keeps its worker id out, with any key, until an admin readmits the id. Refusals are audited.
 */
export class WorkerIdentities {
  private readonly challenges = new Map<string, { workerId: string; expiresAt: number }>();

  constructor(private readonly deps: { db: IdentityStore; audit: AuditLog; logger: Logger }) {}

  /** A single-use nonce for `workerId` to sign. */
  challenge(workerId: string): string {
    if (!workerId) throw new PanCodeError("INVALID_ARGUMENT", "workerId is required");
    this.pruneChallenges();
    const nonce = randomBytes(32).toString("base64url");
    this.challenges.set(nonce, { workerId, expiresAt: Date.now() + CHALLENGE_TTL_MS });
    return nonce;
  }

  /**
   * Checks the proof and binds (or re-binds) the worker id to its key; returns the key id and a new session token,
   * which replaces the id's previous session. UNAUTHENTICATED (audited) for a bad proof, another key than the bound
   * one, or a revoked worker id.
   */
  async admit(proof: RegistrationProof): Promise<{ keyId: string; sessionToken: string }> {
    const { workerId } = proof;
    if (!proof.publicKeyPem) {
      throw new PanCodeError(
        "INVALID_ARGUMENT",
        `worker ${workerId} sent no public key: workers register with their Ed25519 key`,
      );
    }
    let keyId: string;
    try {
      keyId = keyIdOf(proof.publicKeyPem);
    } catch (err) {
      throw new PanCodeError("INVALID_ARGUMENT", `worker ${workerId} sent an invalid Ed25519 public key`, {
        cause: err,
      });
    }
    if (!this.takeChallenge(proof.challenge, workerId)) {
      await this.refuse(workerId, keyId, "challenge", "its registration challenge is unknown, used or expired");
    }
    if (!signatureValid(proof)) {
      await this.refuse(workerId, keyId, "signature", "its signature does not prove the key it presented");
    }
    const revokedKey = (await this.deps.db.listKeys()).some((k) => k.keyId === keyId && k.revoked);
    if (revokedKey) {
      await this.refuse(
        workerId,
        keyId,
        "key_revoked",
        `signing key ${keyId} was revoked; an admin must readmit the worker id (\`pancode keys readmit ${workerId}\`) before it joins with a new key`,
      );
    }
    const secret = randomBytes(32).toString("base64url");
    const bound = await this.deps.db.bindWorkerIdentity({ workerId, keyId, sessionHash: hashOf(secret) });
    if (!bound.bound) {
      const message =
        bound.reason === "revoked"
          ? `worker id ${workerId} was revoked; an admin must readmit it (\`pancode keys readmit ${workerId}\`)`
          : `worker id ${workerId} is bound to another key (${bound.identity.keyId})`;
      await this.refuse(workerId, keyId, bound.reason, message, bound.identity.keyId);
    }
    await this.deps.db.recordKey({ keyId, role: "worker", ownerId: workerId, publicKeyPem: proof.publicKeyPem });
    return { keyId, sessionToken: `${SESSION_PREFIX}.${Buffer.from(workerId).toString("base64url")}.${secret}` };
  }

  /** The worker id a session token belongs to; UNAUTHENTICATED unless it is that worker's current session. */
  async verifySession(token: string): Promise<string> {
    const [prefix, encodedId, secret, ...rest] = token.split(".");
    const workerId = encodedId ? Buffer.from(encodedId, "base64url").toString("utf8") : "";
    if (prefix !== SESSION_PREFIX || !workerId || !secret || rest.length > 0) {
      throw new PanCodeError(
        "UNAUTHENTICATED",
        "worker calls need the session token Register returned; register first",
      );
    }
    const identity = await this.deps.db.getWorkerIdentity(workerId);
    if (!identity || identity.revokedAt || !sameHash(identity.sessionHash, hashOf(secret))) {
      throw new PanCodeError(
        "UNAUTHENTICATED",
        `the session of worker ${workerId} is not current (replaced by a newer registration, or revoked); register again`,
      );
    }
    return workerId;
  }

  /** Unbinds `workerId` so that it may join again with a new key; audited. */
  async readmit(workerId: string, actor: string): Promise<WorkerIdentityRow | undefined> {
    if (!workerId) throw new PanCodeError("INVALID_ARGUMENT", "a worker id is required");
    const previous = await this.deps.db.readmitWorker(workerId, (row) => ({
      category: "worker",
      action: "readmitted",
      actor,
      message: row
        ? `readmitted worker ${workerId} (was bound to ${row.keyId}${row.revokedAt ? ", revoked" : ""}): its next registration binds a new key`
        : `readmitted worker ${workerId}, which was bound to no key`,
      data: { workerId, keyId: row?.keyId ?? "", wasRevoked: Boolean(row?.revokedAt) },
    }));
    this.deps.logger.warn("worker readmitted", { workerId, actor, keyId: previous?.keyId ?? "" });
    return previous;
  }

  private async refuse(
    workerId: string,
    keyId: string,
    reason: string,
    message: string,
    boundKeyId = "",
  ): Promise<never> {
    await this.deps.audit.record({
      category: "worker",
      action: "register_refused",
      actor: workerId,
      message: `registration of worker ${workerId} refused: ${message}`,
      data: { workerId, keyId, boundKeyId, reason },
    });
    this.deps.logger.warn("worker registration refused", { workerId, keyId, reason });
    throw new PanCodeError("UNAUTHENTICATED", `registration of worker ${workerId} refused: ${message}`);
  }

  private takeChallenge(nonce: string, workerId: string): boolean {
    const open = this.challenges.get(nonce);
    if (!open) return false;
    this.challenges.delete(nonce);
    return open.workerId === workerId && open.expiresAt > Date.now();
  }

  private pruneChallenges(): void {
    const now = Date.now();
    for (const [nonce, open] of this.challenges) {
      if (open.expiresAt <= now || this.challenges.size >= MAX_OPEN_CHALLENGES) this.challenges.delete(nonce);
      else break;
    }
  }
}

function signatureValid(proof: RegistrationProof): boolean {
  try {
    return verify(
      null,
      registrationPayload(proof.workerId, proof.challenge),
      createPublicKey(proof.publicKeyPem),
      proof.signature,
    );
  } catch (_err) {
    return false;
  }
}

function hashOf(secret: string): string {
  return `sha256:${createHash("sha256").update(secret).digest("hex")}`;
}

function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
