import { createInterface } from "node:readline";
import { Writable } from "node:stream";
import { UsageError } from "../exit-status.js";

/** The token `pancode login` saves: all of stdin with --token-stdin, else typed at a prompt that does not echo. */
export async function readToken(fromStdin: boolean): Promise<string> {
  const token = fromStdin ? await readAll(process.stdin) : await promptHidden("Token: ");
  if (!token) throw new UsageError(fromStdin ? "no token on stdin" : "no token entered");
  if (/\s/.test(token)) throw new UsageError("a token is one word: no spaces or line breaks inside it");
  return token;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let text = "";
  for await (const chunk of stream) text += chunk.toString();
  return text.trim();
}

/** Asks on the terminal without echoing what is typed (the prompt goes to stderr, stdout stays for output). */
function promptHidden(prompt: string): Promise<string> {
  if (!process.stdin.isTTY) {
    return Promise.reject(
      new UsageError(
        "no terminal to type the token in: pipe it with --token-stdin (e.g. pancode login ADDR --token-stdin < token.txt)",
      ),
    );
  }
  const silent = new Writable({ write: (_chunk, _encoding, done) => done() });
  // The interface first: it turns the terminal's own echo off, so nothing typed once the prompt shows is echoed.
  const rl = createInterface({ input: process.stdin, output: silent, terminal: true });
  process.stderr.write(prompt);
  return new Promise((resolve) => {
    rl.question("", (answer) => {
      rl.close();
      process.stderr.write("\n");
      resolve(answer.trim());
    });
  });
}
