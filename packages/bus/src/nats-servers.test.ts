import { describe, expect, it } from "vitest";
import { natsServers, safeUrl } from "./nats-connection.js";

describe("NATS_URL with several servers", () => {
  it("lists each node of a comma-separated NATS_URL, ignoring blanks", () => {
    expect(natsServers("nats://a:4222, nats://b:4222,,nats://c:4222")).toEqual([
      "nats://a:4222",
      "nats://b:4222",
      "nats://c:4222",
    ]);
  });

  it("strips the credentials of every listed server from error messages", () => {
    expect(safeUrl("nats://u:secret@a:4222,nats://u:secret@b:4222")).not.toContain("secret");
  });
});
