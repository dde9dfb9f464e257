// solidity-coverage: the contracts compile with viaIR, so coverage keeps the Yul optimizer on
// (without it the instrumented code hits "stack too deep").
module.exports = {
  configureYulOptimizer: true,
  skipFiles: ["mocks/"],
  istanbulReporter: ["html", "lcov", "text", "json-summary"],
};
