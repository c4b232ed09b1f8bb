// A vitest reporter that writes how many unhandled errors the run had beside its JSON report, as
// `<report>.unhandled.json`: vitest's JSON report fails the run on them but counts them in no test.
import { writeFileSync } from "node:fs";

export default class UnhandledErrorsReporter {
  onInit(vitest) {
    const json = vitest.config.outputFile?.json;
    this.file = json ? json.replace(/\.json$/, ".unhandled.json") : undefined;
  }

  onTestRunEnd(_modules, unhandledErrors) {
    if (this.file) writeFileSync(this.file, `${JSON.stringify({ unhandledErrors: unhandledErrors.length })}\n`);
  }
}
