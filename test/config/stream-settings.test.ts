/** The stream caps are settings like the others: defaults, environment, flags over environment, errors naming both. */
import { expect } from "chai";
import { ConfigError, loadConfig } from "../../src/config";

describe("config: GET /v1/stream caps", () => {
  it("default to 5 per caller and 1000 in all", () => {
    const c = loadConfig({}, {});
    expect([c.streamMaxPerCaller, c.streamMaxTotal]).to.deep.equal([5, 1_000]);
  });

  it("come from STREAM_MAX_PER_CALLER / STREAM_MAX_TOTAL, flags winning", () => {
    const c = loadConfig({ streamMaxTotal: "50" }, { STREAM_MAX_PER_CALLER: "2", STREAM_MAX_TOTAL: "10" });
    expect([c.streamMaxPerCaller, c.streamMaxTotal]).to.deep.equal([2, 50]);
  });

  it("refuse a cap below 1, naming the flag and the variable", () => {
    expect(() => loadConfig({}, { STREAM_MAX_PER_CALLER: "0" })).to.throw(ConfigError, /--stream-max-per-caller \(STREAM_MAX_PER_CALLER\)/);
    expect(() => loadConfig({ streamMaxTotal: "many" }, {})).to.throw(ConfigError, /--stream-max-total \(STREAM_MAX_TOTAL\)/);
  });
});
