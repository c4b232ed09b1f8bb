// Preloaded into the coordinator by the admissions suite (NODE_OPTIONS=--require) when PANCODE_BENCH_CPU_PROF is
// set: Node 20 refuses --cpu-prof in NODE_OPTIONS, so this starts the same V8 profiler through node:inspector and
// writes a .cpuprofile (Chrome DevTools, speedscope) into that directory on SIGUSR2 (the suite sends it after the
// measured dispatches, so start-up and shutdown stay out of the profile).
const inspector = require("node:inspector");
const { writeFileSync } = require("node:fs");
const { join } = require("node:path");

const { env } = process;
const dir = env.PANCODE_BENCH_CPU_PROF;
if (dir) {
  const session = new inspector.Session();
  session.connect();
  session.post("Profiler.enable");
  session.post("Profiler.setSamplingInterval", { interval: 500 });
  session.post("Profiler.start");
  process.on("SIGUSR2", () => {
    session.post("Profiler.stop", (err, result) => {
      if (!err) writeFileSync(join(dir, `coordinator-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
