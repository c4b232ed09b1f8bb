import { once } from "node:events";
import net, { type AddressInfo } from "node:net";

/** A loopback TCP port relayed to a Unix socket: what the agent image's forwarder does inside a container. */
export async function forwardTcpToSocket(socketPath: string): Promise<{ origin: string; close(): void }> {
  const server = net.createServer((client) => {
    const upstream = net.connect(socketPath);
    client.pipe(upstream).on("error", () => upstream.destroy());
    upstream.pipe(client).on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => server.close(),
  };
}
