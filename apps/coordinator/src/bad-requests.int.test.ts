import { mkdtemp, rm } from "node:fs/promises";
import { connect } from "node:http2";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import {
  type Client,
  credentials,
  Metadata,
  makeGenericClientConstructor,
  type ServiceDefinition,
  type ServiceError,
  status,
} from "@grpc/grpc-js";
import { MAX_MESSAGE_BYTES } from "@pancode/proto";
import { freshDatabaseUrl, type PostgresServer, startPostgres } from "@pancode/testing/postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CoordinatorNode, startCoordinatorNode } from "./fixtures/coordinator-node.js";

// The status contract of docs/grpc-statuses.md, probed with bytes no well-behaved client sends: a raw grpc-js client
// whose serializer passes any bytes through, and plain HTTP/2 frames for what grpc-js would not even send.

let pg: PostgresServer;
let dataDir: string;
let node: CoordinatorNode;

beforeAll(async () => {
  pg = await startPostgres();
  dataDir = await mkdtemp(join(tmpdir(), "pancode-bad-requests-"));
  node = await startCoordinatorNode({ PANCODE_DATA_DIR: dataDir, DATABASE_URL: await freshDatabaseUrl(pg.url) });
});

afterAll(async () => {
  await node?.close();
  await pg?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const bytes = (b: Buffer): Buffer => b;
function method(path: string, requestStream = false, responseStream = false) {
  return {
    path,
    requestStream,
    responseStream,
    requestSerialize: bytes,
    requestDeserialize: bytes,
    responseSerialize: bytes,
    responseDeserialize: bytes,
  };
}

/** A client of any method path that sends whatever bytes it is given, with no size limit of its own. */
const RawClient = makeGenericClientConstructor(
  {
    Dispatch: method("/pancode.v1.ClientService/Dispatch"),
    GetRun: method("/pancode.v1.ClientService/GetRun"),
    UploadBlob: method("/pancode.v1.ClientService/UploadBlob", true),
    FetchPatch: method("/pancode.v1.ClientService/FetchPatch", false, true),
    RegisterChallenge: method("/pancode.v1.WorkerService/RegisterChallenge"),
    NoSuchMethod: method("/pancode.v1.ClientService/NoSuchMethod"),
  } as ServiceDefinition,
  "Raw",
);

type Callback = (err: ServiceError | null) => void;
type Raw = Client & Record<string, (...args: unknown[]) => unknown>;

function raw(): Raw {
  return new RawClient(node.coordinator.address, credentials.createInsecure(), {
    "grpc.max_send_message_length": -1,
  }) as unknown as Raw;
}

function auth(token = node.coordinator.clientToken): Metadata {
  const md = new Metadata();
  md.set("authorization", `Bearer ${token}`);
  return md;
}

/** The status of a unary call of `name` with `body` as its whole request message. */
async function unary(name: string, body: Buffer, token?: string): Promise<ServiceError | null> {
  const client = raw();
  try {
    return await new Promise((resolve) => client[name]?.(body, auth(token), ((err) => resolve(err)) as Callback));
  } finally {
    client.close();
  }
}

/** The status of an UploadBlob call sending `messages`. */
async function upload(messages: Buffer[]): Promise<ServiceError | null> {
  const client = raw();
  try {
    return await new Promise((resolve) => {
      const call = client.UploadBlob?.(auth(), ((err) => resolve(err)) as Callback) as NodeJS.WritableStream;
      for (const m of messages) call.write(m);
      call.end();
    });
  } finally {
    client.close();
  }
}

/** The status a server stream of `name` ends with. */
async function serverStream(name: string, body: Buffer): Promise<ServiceError | null> {
  const client = raw();
  try {
    return await new Promise((resolve) => {
      const call = client[name]?.(body, auth()) as NodeJS.ReadableStream;
      call.on("data", () => undefined);
      call.on("error", (err: ServiceError) => resolve(err));
      call.on("end", () => resolve(null));
    });
  } finally {
    client.close();
  }
}

/** Field 1 (length-delimited) with `size` bytes of text: the task of a DispatchRequest, a header of an upload. */
function messageOf(size: number): Buffer {
  const length: number[] = [];
  for (let n = size; ; n = Math.floor(n / 128)) {
    length.push(n > 127 ? (n & 127) | 128 : n);
    if (n <= 127) break;
  }
  return Buffer.concat([Buffer.from([0x0a, ...length]), Buffer.alloc(size, 0x61)]);
}

/** Field 1 announces 2^35 bytes and the message ends: no protobuf decoder can read it. */
const GARBAGE = Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]);

/** The grpc-status and grpc-message of a request made of hand-built HTTP/2 frames (what grpc-js never sends). */
async function frames(path: string, headers: Record<string, string>, body: Buffer): Promise<[number, string]> {
  const session = connect(`http://${node.coordinator.address}`);
  try {
    return await new Promise((resolve, reject) => {
      const req = session.request({
        ":method": "POST",
        ":path": path,
        "content-type": "application/grpc",
        te: "trailers",
        authorization: `Bearer ${node.coordinator.clientToken}`,
        ...headers,
      });
      req.on("trailers", (t) => resolve([Number(t["grpc-status"]), decodeURIComponent(String(t["grpc-message"]))]));
      // A refusal may come as trailers-only headers.
      req.on("response", (h) => {
        if (h["grpc-status"] !== undefined) {
          resolve([Number(h["grpc-status"]), decodeURIComponent(String(h["grpc-message"]))]);
        }
      });
      req.on("error", reject);
      req.on("data", () => undefined);
      req.end(body);
    });
  } finally {
    session.close();
  }
}

/** One gRPC length-prefixed message frame. */
function frame(message: Buffer, compressed: boolean): Buffer {
  const prefix = Buffer.alloc(5);
  prefix.writeUInt8(compressed ? 1 : 0, 0);
  prefix.writeUInt32BE(message.length, 1);
  return Buffer.concat([prefix, message]);
}

describe("malformed messages get INVALID_ARGUMENT and the server stays up", () => {
  it.each([
    ["a unary call", () => unary("Dispatch", GARBAGE)],
    ["a message of a client stream", () => upload([GARBAGE])],
    ["the request of a server stream", () => serverStream("FetchPatch", GARBAGE)],
    ["a worker-service call", () => unary("RegisterChallenge", GARBAGE, node.coordinator.workerToken)],
  ])("in %s", async (_what, call) => {
    const err = await call();
    expect(err?.code).toBe(status.INVALID_ARGUMENT);
    expect(err?.details).toMatch(/^malformed request for \w+: /);
    expect(await node.client.listRuns(1)).toBeInstanceOf(Array);
  });

  it("a compressed body that does not decompress", async () => {
    const body = frame(Buffer.from("not gzip at all"), true);
    const [code, message] = await frames("/pancode.v1.ClientService/GetRun", { "grpc-encoding": "gzip" }, body);
    expect(code).toBe(status.INVALID_ARGUMENT);
    expect(message).toMatch(/does not decompress/);
  });
});

describe("oversized messages get INVALID_ARGUMENT naming the limit, at any size", () => {
  const limit = `exceeds the limit of ${MAX_MESSAGE_BYTES} bytes`;

  it.each([
    ["just over the limit, unary", () => unary("Dispatch", messageOf(MAX_MESSAGE_BYTES))],
    ["far over it (65 MiB), unary", () => unary("Dispatch", messageOf(65 * 1024 * 1024))],
    ["in a client stream", () => upload([messageOf(MAX_MESSAGE_BYTES + 1)])],
  ])("%s", async (_what, call) => {
    const err = await call();
    expect(err?.code).toBe(status.INVALID_ARGUMENT);
    expect(err?.details).toContain(limit);
    expect(await node.client.listRuns(1)).toBeInstanceOf(Array);
  });

  it("a compressed body that inflates past the limit (a gzip bomb)", async () => {
    const bomb = gzipSync(messageOf(MAX_MESSAGE_BYTES * 2));
    const body = frame(bomb, true);
    const [code, message] = await frames("/pancode.v1.ClientService/GetRun", { "grpc-encoding": "gzip" }, body);
    expect(code).toBe(status.INVALID_ARGUMENT);
    expect(message).toContain(`decompresses to more than the limit of ${MAX_MESSAGE_BYTES} bytes`);
  });
});

describe("missing required fields get INVALID_ARGUMENT naming the field", () => {
  it.each([
    ["GetRun without a run id", () => unary("GetRun", Buffer.alloc(0)), /a run id is required/],
    ["an upload without its header", () => upload([Buffer.from([0x12, 1, 0x61])]), /must start with a header/],
    ["an upload of no messages", () => upload([]), /upload stream was empty/],
  ])("%s", async (_what, call, why) => {
    const err = await call();
    expect(err?.code).toBe(status.INVALID_ARGUMENT);
    expect(err?.details).toMatch(why);
  });
});

describe("what is not a bad message keeps gRPC's own status", () => {
  it("an unknown method is UNIMPLEMENTED (the request may be fine; this server lacks the method)", async () => {
    const err = await unary("NoSuchMethod", Buffer.alloc(0));
    expect(err?.code).toBe(status.UNIMPLEMENTED);
    expect(err?.details).toContain("/pancode.v1.ClientService/NoSuchMethod");
  });

  it("a body in an encoding the server does not speak is UNIMPLEMENTED, as the gRPC spec says", async () => {
    const body = frame(Buffer.from("x"), true);
    const [code, message] = await frames("/pancode.v1.ClientService/GetRun", { "grpc-encoding": "snappy" }, body);
    expect(code).toBe(status.UNIMPLEMENTED);
    expect(message).toMatch(/snappy/);
  });

  it("a bad message without a valid token is UNAUTHENTICATED: nothing is said about it to a stranger", async () => {
    const err = await unary("Dispatch", GARBAGE, "not-the-token");
    expect(err?.code).toBe(status.UNAUTHENTICATED);
  });
});
