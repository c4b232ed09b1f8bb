import type { ClientServiceServer, SigningKeyInfo } from "@pancode/proto";
import type { KeyRegistry, SigningKeyRow } from "../services/key-registry.js";
import type { ReceiptQueries } from "../services/receipt-queries.js";
import type { WorkerIdentities } from "../services/worker-identities.js";
import { actorOf, type HandlerContext, unary } from "./handlers.js";

/** The ClientService methods of receipts and the keys that sign them. */
export type ReceiptHandlers = Pick<
  ClientServiceServer,
  "getReceipt" | "listReceipts" | "getKeys" | "revokeKey" | "readmitWorker"
>;

/** What the receipt handlers need. */
export interface ReceiptHandlerDeps {
  receipts: ReceiptQueries;
  keys: KeyRegistry;
  /** Worker identities (ReadmitWorker). */
  identities: WorkerIdentities;
}

/** A signing key as the wire shows it. */
function keyInfo(k: SigningKeyRow): SigningKeyInfo {
  return { ...k, createdAt: k.createdAt.toISOString() };
}

/** Builds the receipt and key handlers. */
export function createReceiptHandlers(hc: HandlerContext, deps: ReceiptHandlerDeps): ReceiptHandlers {
  return {
    getReceipt: unary(hc, "GetReceipt", async (req) => {
      const receipt = await deps.receipts.get(req.id);
      return { ...receipt, createdAt: receipt.createdAt.toISOString() };
    }),
    listReceipts: unary(hc, "ListReceipts", async (req) => {
      const rows = await deps.receipts.list(req.limit);
      return { receipts: rows.map((r) => ({ ...r, createdAt: r.createdAt.toISOString() })) };
    }),
    getKeys: unary(hc, "GetKeys", async () => ({
      keys: (await deps.keys.list()).map(keyInfo),
    })),
    revokeKey: unary(hc, "RevokeKey", async (req, _trace, caller) =>
      keyInfo(await deps.keys.revoke(req.keyId, actorOf(caller))),
    ),
    readmitWorker: unary(hc, "ReadmitWorker", async (req, _trace, caller) => {
      const previous = await deps.identities.readmit(req.workerId, actorOf(caller));
      return { workerId: req.workerId, revokedKeyId: previous?.keyId ?? "" };
    }),
  };
}
