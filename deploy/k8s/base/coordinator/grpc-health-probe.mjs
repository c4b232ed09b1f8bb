// Startup and liveness probe of a coordinator pod: asks grpc.health.v1.Health/Check (service "") on the pod's own
// gRPC port. kubelet's built-in `grpc:` probe cannot speak TLS, which this port serves off loopback.
//   node grpc-health-probe.mjs serving   exit 0 only on SERVING (startup: migrated and listening)
//   node grpc-health-probe.mjs answers   exit 0 on any answer (liveness: a draining replica says NOT_SERVING)
// Environment: PANCODE_LISTEN (port), PANCODE_PROBE_TLS_CA and PANCODE_PROBE_TLS_NAME (unset CA: plaintext),
// PANCODE_PROBE_HOST (127.0.0.1), PANCODE_PROBE_MODULES (where @grpc/grpc-js resolves from: the image's /app).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const SERVING = 1;
const mode = process.argv[2] === "answers" ? "answers" : "serving";
const require = createRequire(process.env.PANCODE_PROBE_MODULES ?? "/app/apps/coordinator/package.json");
const grpc = require("@grpc/grpc-js");

const listen = process.env.PANCODE_LISTEN ?? "127.0.0.1:7400";
const port = listen.slice(listen.lastIndexOf(":") + 1);
const target = `${process.env.PANCODE_PROBE_HOST ?? "127.0.0.1"}:${port}`;
const caPath = process.env.PANCODE_PROBE_TLS_CA;
const name = process.env.PANCODE_PROBE_TLS_NAME;
const credentials = caPath ? grpc.credentials.createSsl(readFileSync(caPath)) : grpc.credentials.createInsecure();
const options = name ? { "grpc.ssl_target_name_override": name, "grpc.default_authority": name } : {};
const client = new grpc.Client(target, credentials, options);

// HealthCheckRequest{service: ""} encodes to no bytes; HealthCheckResponse is field 1 (varint): 0x08 <status>.
const same = (bytes) => bytes;
client.makeUnaryRequest(
  "/grpc.health.v1.Health/Check",
  same,
  same,
  Buffer.alloc(0),
  { deadline: Date.now() + 3000 },
  (error, response) => {
    client.close();
    if (error) {
      process.stderr.write(`grpc health ${target}: ${error.message}\n`);
      process.exit(1);
    }
    const status = response[0] === 0x08 ? response[1] : 0;
    if (mode === "serving" && status !== SERVING) {
      process.stderr.write(`grpc health ${target}: status ${status}, not SERVING\n`);
      process.exit(1);
    }
    process.exit(0);
  },
);
