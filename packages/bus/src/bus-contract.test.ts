import { describeBusContract } from "./fixtures/bus-contract.js";
import { createInProcessBus } from "./in-process-bus.js";

// The in-process adapter needs no services, so its contract run is a unit test.
describeBusContract("in-process", async (options) => createInProcessBus(options));
