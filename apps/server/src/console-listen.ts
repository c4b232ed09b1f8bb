import { createServer } from "node:net";

/** Where `pancode up` serves the web console unless PANCODE_CONSOLE_LISTEN says otherwise. */
const UP_CONSOLE_ADDRESS = { host: "127.0.0.1", port: 7701 };

/** True when nothing listens on host:port yet. */
function isFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(false));
    probe.listen(port, host, () => probe.close(() => resolve(true)));
  });
}

/**
 * The console address of `pancode up`: PANCODE_CONSOLE_LISTEN when set ("" turns the console off), else
 * 127.0.0.1:7701, or any free loopback port when another cluster already holds 7701.
 */
export async function upConsoleListen(env: Record<string, string | undefined>): Promise<string> {
  if (env.PANCODE_CONSOLE_LISTEN !== undefined) return env.PANCODE_CONSOLE_LISTEN;
  const { host, port } = UP_CONSOLE_ADDRESS;
  return (await isFree(host, port)) ? `${host}:${port}` : `${host}:0`;
}
