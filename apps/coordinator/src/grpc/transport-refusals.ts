import {
  ServerInterceptingCall,
  type ServerInterceptingCallInterface,
  type ServerInterceptor,
  status,
} from "@grpc/grpc-js";
import { PanCodeError } from "@pancode/core";
import { ERROR_CODE_TRAILER, toGrpcStatus } from "@pancode/proto";

type SentStatus = Parameters<ServerInterceptingCallInterface["sendStatus"]>[0];

/** grpc-js's own refusals of a request body, before any handler runs, by the start of their details. */
const OVERSIZED = /^Received message larger than max \((\d+) vs (\d+)\)/;
const INFLATES_OVERSIZED = /^Received message that decompresses to a size larger than (\d+)/;
const NOT_INFLATABLE = /^Failed to decompress message/;

/**
 * The status a request body refused by grpc-js itself gets instead: INVALID_ARGUMENT naming the limit, like every
 * other bad request. Undefined for any other status (all of ours carry the PanCode error trailer and pass as sent).
 */
function badRequestStatus(sent: SentStatus): SentStatus | undefined {
  if (sent.metadata?.get(ERROR_CODE_TRAILER).length) return undefined;
  const details = sent.details ?? "";
  const bad = (message: string): SentStatus =>
    toGrpcStatus(new PanCodeError("INVALID_ARGUMENT", message)) as SentStatus;
  if (sent.code === status.RESOURCE_EXHAUSTED) {
    const over = details.match(OVERSIZED);
    if (over) return bad(`request message of ${over[1]} bytes exceeds the limit of ${over[2]} bytes`);
    const inflated = details.match(INFLATES_OVERSIZED);
    if (inflated) return bad(`request message decompresses to more than the limit of ${inflated[1]} bytes`);
  }
  if (sent.code === status.INTERNAL && NOT_INFLATABLE.test(details)) {
    return bad("request message is marked compressed but does not decompress with its grpc-encoding");
  }
  return undefined;
}

/**
 * Makes the statuses grpc-js sends on its own for a bad request body (a frame announcing more than the message
 * limit, refused after its 5-byte header, before the body is buffered; a body that inflates past the limit or not
 * at all) the API's status for bad requests, INVALID_ARGUMENT. grpc-js has no hook for these: it sends them from its
 * innermost call object, which the first server interceptor is handed, so this interceptor must be the first and
 * rewrites them there. bad-requests.int.test.ts fails if a grpc-js upgrade changes that.
 */
export const transportRefusalsAsBadRequests: ServerInterceptor = (_method, call) => {
  const send = call.sendStatus.bind(call);
  call.sendStatus = (sent) => send(badRequestStatus(sent) ?? sent);
  return new ServerInterceptingCall(call);
};
