import { connect, type NatsConnection } from "@nats-io/transport-node";
import { isNatsAvailable, type NatsServer, startNats, uniqueName } from "@pancode/testing/nats";
import { afterAll, beforeAll, describe } from "vitest";
import { describeBusContract } from "./fixtures/bus-contract.js";
import { createJetStreamBus } from "./jetstream-bus.js";
import { taskSubject } from "./subjects.js";
import type { TaskBus } from "./types.js";

// Without nats-server a developer's run skips; in CI a missing service must fail the suite.
const run = process.env.CI === "true" || isNatsAvailable();

describe.runIf(run)("jetstream", () => {
  let server: NatsServer;
  let raw: NatsConnection;
  const prefixes = new WeakMap<TaskBus, string>();

  beforeAll(async () => {
    server = await startNats();
    raw = await connect({ servers: server.url, user: server.coordinator.user, pass: server.coordinator.pass });
  });
  afterAll(async () => {
    await raw?.close();
    await server?.stop();
  });

  // Each bus gets its own stream and subject prefix, so tests (and files sharing a server) never see each other.
  describeBusContract(
    "jetstream",
    async (options) => {
      const subjectPrefix = uniqueName("t");
      const bus = await createJetStreamBus({
        ...options,
        url: server.url,
        user: server.coordinator.user,
        pass: server.coordinator.pass,
        streamName: uniqueName("TASKS"),
        subjectPrefix,
      });
      prefixes.set(bus, subjectPrefix);
      return bus;
    },
    {
      async publishRaw(bus, pool, bytes) {
        raw.publish(taskSubject(prefixes.get(bus) ?? "", pool), bytes);
        await raw.flush();
      },
    },
  );
});
