import { connect as connectTcp, createServer, type Server, type Socket } from "node:net";

/** A loopback TCP relay to one upstream port whose link can be cut and restored: a service "going away" for a while. */
export interface TcpProxy {
  /** The relay's own port on 127.0.0.1 (stable across cut and restore). */
  port: number;
  /** Drops every relayed connection and refuses new ones, as a stopped server would. */
  cut(): Promise<void>;
  /** Accepts connections again, on the same port. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

/** Starts a relay from a free 127.0.0.1 port to `127.0.0.1:upstreamPort`. */
export async function startTcpProxy(upstreamPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    // A reset peer is what a cut looks like; nothing to report.
    socket.on("error", () => socket.destroy());
  };
  const server: Server = createServer((client) => {
    const upstream = connectTcp({ host: "127.0.0.1", port: upstreamPort });
    track(client);
    track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  const listen = (port: number): Promise<number> =>
    new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        server.off("error", reject);
        const address = server.address();
        resolve(typeof address === "object" && address ? address.port : port);
      });
    });
  const stopListening = (): Promise<void> =>
    new Promise((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
  const port = await listen(0);
  return {
    port,
    cut: stopListening,
    restore: async () => {
      if (!server.listening) await listen(port);
    },
    close: stopListening,
  };
}
