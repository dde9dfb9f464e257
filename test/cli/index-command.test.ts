/**
 * `index` fails through the CLI's one error path: a bad setting or a missing deployment is one
 * `error:` line on stderr and exit 2, before anything is opened (no stack trace, no help text).
 */
import { expect } from "chai";
import { cli } from "./helpers/operator";

describe("cli index: bad settings", function () {
  this.timeout(60_000);

  it("names a bad flag and exits 2", async () => {
    const r = await cli(["index", "--confirmations", "-1"]);
    expect(r.code).to.equal(2);
    expect(r.stderr.trim().split("\n")).to.have.length(1);
    expect(r.stderr).to.match(/^error: --confirmations \(CONFIRMATIONS\)/);
  });

  it("names a bad environment setting and exits 2", async () => {
    const r = await cli(["index"], { MAX_BLOCK_RANGE: "lots" });
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/^error: .*MAX_BLOCK_RANGE/);
    expect(r.stderr).not.to.match(/\n\s+at /);
  });

  it("names a missing deployment and exits 2", async () => {
    const r = await cli(["index", "--network", "nowhere"]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/^error: no deployment for network "nowhere"/);
    expect(r.stderr).not.to.match(/Usage:|\n\s+at /);
  });
});
