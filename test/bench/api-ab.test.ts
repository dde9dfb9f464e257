import { expect } from "chai";
import { abOrder, summarize, type AbRound } from "../../bench/api-ab";

describe("bench:api:ab: two builds in alternated rounds", function () {
  it("puts each build first in half the rounds and second in the other half, never twice in a row at a round's start", function () {
    const rounds = 10;
    const first = { A: 0, B: 0 };
    const sequence: string[] = [];
    for (let r = 0; r < rounds; r++) {
      const order = abOrder(r);
      expect([...order].sort()).to.deep.equal(["A", "B"]);
      first[order[0]!]++;
      sequence.push(...order);
    }
    expect(first).to.deep.equal({ A: 5, B: 5 });
    expect(sequence.slice(0, 6).join("")).to.equal("ABBAAB");
  });

  it("sums up one build's rounds: mean req/s, processor time and hit share over all its requests, the median p99", function () {
    const round = (build: "A" | "B", rps: number, p99: number, errors = 0): AbRound => ({ build, round: 0, rps, p50: 10, p99, errors, hitShare: 0.5, cpuMsPerRequest: 0.7 });
    const rounds = [round("A", 2000, 60), round("B", 2600, 70, 1), round("B", 2400, 90), round("A", 2200, 80, 2), round("A", 2100, 100)];
    const a = summarize("A", "/a", rounds, { requests: 90_000, cpuMs: 63_000, hit: 300, miss: 700 });
    expect(a).to.deep.equal({ build: "A", checkout: "/a", rounds: 3, rpsMean: 2100, cpuMsPerRequest: 0.7, hitShare: 0.3, p99s: [60, 80, 100], p99Median: 80, errors: 2, sinceBlock: [] });
    const b = summarize("B", "/b", rounds, { requests: 1, cpuMs: null, hit: 0, miss: 0 });
    expect(b.p99Median, "the mean of the middle two of an even count").to.equal(80);
    expect(b.rpsMean).to.equal(2500);
    expect(b.cpuMsPerRequest, "no /proc: no figure").to.equal(null);
    expect(b.hitShare).to.equal(0);
    expect(() => summarize("A", "/a", [], { requests: 0, cpuMs: 0, hit: 0, miss: 0 })).to.throw("no rounds of build A");
  });
});
