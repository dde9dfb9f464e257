/**
 * scripts/lib/behaviour.ts, the demo seed's borrowers: the hidden propensity drives what the chain
 * sees (installments paid before due, collection rounds reached and paid), hardship makes good
 * borrowers miss, and a seed replays the same borrowers.
 */
import { expect } from "chai";
import { demoBorrower, demoCollection, demoInstallment, type DemoBorrower } from "../../scripts/lib/behaviour";
import { prng } from "../../scripts/lib/prng";

const share = (xs: boolean[]) => xs.filter(Boolean).length / xs.length;

describe("demo borrowers (hidden propensity)", () => {
  const random = prng(7);
  const borrowers = Array.from({ length: 6_000 }, () => demoBorrower(random, 6));
  const good = borrowers.filter((b) => b.z > 0.5 && b.driftFrom < 0);
  const poor = borrowers.filter((b) => b.z < -0.5 && b.driftFrom < 0);

  it("draws z ~ N(0, 1) and gives hardship more often to low z", () => {
    const mean = borrowers.reduce((a, b) => a + b.z, 0) / borrowers.length;
    const variance = borrowers.reduce((a, b) => a + (b.z - mean) ** 2, 0) / borrowers.length;
    expect(Math.abs(mean)).to.be.lessThan(0.05);
    expect(Math.abs(variance - 1)).to.be.lessThan(0.08);
    const hardship = (xs: DemoBorrower[]) => share(xs.map((b) => b.driftFrom >= 0));
    expect(hardship(borrowers.filter((b) => b.z < -0.5))).to.be.greaterThan(1.5 * hardship(borrowers.filter((b) => b.z > 0.5)));
    for (const b of borrowers.filter((x) => x.driftFrom >= 0)) {
      expect(b.hardshipFrom).to.equal(b.driftFrom + 1);
      expect(b.hardshipUntil - b.hardshipFrom).to.be.oneOf([2, 3]);
    }
  });

  it("higher propensity pays before due more often, and is reached and pays more often when behind", () => {
    const early = (xs: DemoBorrower[]) => share(xs.map((b) => demoInstallment(b, 0, random) === "early"));
    expect(early(good)).to.be.greaterThan(early(poor) + 0.2);
    const round = (xs: DemoBorrower[], behind: number) => xs.map((b) => demoCollection(b, 0, behind, random));
    const [g, p] = [round(good, 1), round(poor, 1)];
    expect(share(g.map((r) => r.reached))).to.be.greaterThan(share(p.map((r) => r.reached)) + 0.2);
    expect(share(g.map((r) => r.pays))).to.be.greaterThan(share(p.map((r) => r.pays)) + 0.2);
    // The longer behind, the less likely to pay.
    expect(share(round(good, 3).map((r) => r.pays))).to.be.lessThan(share(g.map((r) => r.pays)));
  });

  it("in hardship even a good borrower mostly misses; in drift fewer pay before due", () => {
    const b: DemoBorrower = { z: 1.5, driftFrom: 1, hardshipFrom: 2, hardshipUntil: 4 };
    const draws = (m: number) => Array.from({ length: 2_000 }, () => demoInstallment(b, m, random));
    expect(share(draws(2).map((x) => x === "missed"))).to.be.greaterThan(0.8);
    expect(share(draws(0).map((x) => x === "early"))).to.be.greaterThan(0.9);
    expect(share(draws(1).map((x) => x === "early"))).to.be.lessThan(0.4);
    expect(share(draws(4).map((x) => x === "missed"))).to.be.lessThan(0.05);
  });

  it("replays from its seed", () => {
    const again = (seed: number) => {
      const r = prng(seed);
      return Array.from({ length: 20 }, () => demoBorrower(r, 6));
    };
    expect(again(16)).to.deep.equal(again(16));
    expect(again(16)).to.not.deep.equal(again(17));
  });
});
