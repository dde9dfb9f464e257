// Mocha reporter: the usual spec output, then one closing line
// `N passed, N failed, N skipped` that .ci/run and CI read.
"use strict";
const fs = require("node:fs");
const Mocha = require("mocha");
const { Spec } = Mocha.reporters;
const { EVENT_RUN_END } = Mocha.Runner.constants;

class DuetrailReporter extends Spec {
  constructor(runner, options) {
    super(runner, options);
    let printed = false;
    // Registered after Spec's epilogue, so it prints last. Written synchronously: the process may
    // exit right after the run ends.
    runner.once(EVENT_RUN_END, () => {
      if (printed) return;
      printed = true;
      const s = runner.stats ?? {};
      fs.writeSync(1, `${s.passes ?? 0} passed, ${s.failures ?? 0} failed, ${s.pending ?? 0} skipped\n`);
    });
  }
}
module.exports = DuetrailReporter;
