import { createHmac, timingSafeEqual } from "node:crypto";
import { isTerminalStatus, PanCodeError } from "@pancode/core";
import type { Database } from "@pancode/db";

/** Prefix of run tokens; a bearer token without it is never treated as one. */
const PREFIX = "pcr1.";

/**
 * Run-scoped bearer tokens for nested dispatch: `pcr1.<run id>.<HMAC-SHA256(secret, run id)>`. The coordinator
 * can check one without storing it, the worker hands it into the run's container, and it is worthless once the
 * run ended (checked on every use against the runs table). It is never the client token: it authenticates only
 * Dispatch and reading the run's own sub-runs.
 */
export class RunTokens {
  constructor(
    private readonly secret: string,
    private readonly db: Pick<Database, "getRun">,
  ) {}

  /** The token of `runId`. */
  mint(runId: string): string {
    return `${PREFIX}${runId}.${this.mac(runId)}`;
  }

  /** True when `token` has the shape of a run token (so a failure can say which kind of token was refused). */
  static looksLike(token: string): boolean {
    return token.startsWith(PREFIX);
  }

  /**
   * The id of the live run whose token this is. UNAUTHENTICATED for a forged token or one whose run ended (or
   * does not exist): the caller learns nothing about which.
   */
  async verify(token: string): Promise<string> {
    const rest = token.startsWith(PREFIX) ? token.slice(PREFIX.length) : "";
    const dot = rest.lastIndexOf(".");
    const runId = dot > 0 ? rest.slice(0, dot) : "";
    const presented = Buffer.from(dot > 0 ? rest.slice(dot + 1) : "");
    const wanted = Buffer.from(this.mac(runId));
    if (!runId || presented.length !== wanted.length || !timingSafeEqual(presented, wanted)) {
      throw new PanCodeError("UNAUTHENTICATED", "invalid run token");
    }
    const run = await this.db.getRun(runId);
    if (!run || isTerminalStatus(run.status)) {
      throw new PanCodeError(
        "UNAUTHENTICATED",
        `run token of run ${runId} is no longer valid: the run ended, and only a live run may dispatch sub-runs`,
      );
    }
    return runId;
  }

  private mac(runId: string): string {
    return createHmac("sha256", this.secret).update(`pancode-run:${runId}`).digest("base64url");
  }
}
