// Mocha reporter: the usual spec output, then one closing line
// `N passed, N failed, N skipped` that .ci/run and CI read.
"use strict";
const Mocha = require("mocha");
const { Spec } = Mocha.reporters;
const { EVENT_RUN_END } = Mocha.Runner.constants;

class DuetrailReporter extends Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(EVENT_RUN_END, () => {
      const s = runner.stats ?? {};
      // Printed after Spec's epilogue.
      setImmediate(() => {
        process.stdout.write(`${s.passes ?? 0} passed, ${s.failures ?? 0} failed, ${s.pending ?? 0} skipped\n`);
      });
    });
  }
}
module.exports = DuetrailReporter;
