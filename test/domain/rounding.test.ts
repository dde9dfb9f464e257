import { expect } from "chai";
import fc from "fast-check";
import { InvalidArgumentError, floorDiv, halfUp } from "../../src/domain";

describe("domain/rounding", function () {
  it("halfUp rounds to nearest with exact halves up", function () {
    expect(halfUp(5n, 2n)).to.equal(3n); // 2.5 -> 3
    expect(halfUp(7n, 2n)).to.equal(4n); // 3.5 -> 4
    expect(halfUp(7n, 3n)).to.equal(2n); // 2.33 -> 2
    expect(halfUp(8n, 3n)).to.equal(3n); // 2.67 -> 3
    expect(halfUp(1n, 3n)).to.equal(0n);
    expect(halfUp(0n, 9n)).to.equal(0n);
    expect(halfUp(1_825_000n, 3_650_000n)).to.equal(1n); // exactly 0.5
    expect(halfUp(1_824_999n, 3_650_000n)).to.equal(0n);
  });

  it("floorDiv truncates", function () {
    expect(floorDiv(7n, 2n)).to.equal(3n);
    expect(floorDiv(3_649_999n, 3_650_000n)).to.equal(0n);
    expect(floorDiv(3_650_000n, 3_650_000n)).to.equal(1n);
  });

  it("throws on zero or negative denominators and negative numerators", function () {
    expect(() => halfUp(1n, 0n)).to.throw(InvalidArgumentError);
    expect(() => halfUp(1n, -2n)).to.throw(InvalidArgumentError);
    expect(() => floorDiv(1n, 0n)).to.throw(InvalidArgumentError);
    expect(() => floorDiv(-1n, 3n)).to.throw(InvalidArgumentError);
    expect(() => halfUp(-1n, 3n)).to.throw(InvalidArgumentError);
  });

  it("halfUp is within half a unit and agrees with floor on the remainder", function () {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 1n << 200n }), fc.bigInt({ min: 1n, max: 1n << 100n }), (n, d) => {
        const q = halfUp(n, d);
        const r = n - floorDiv(n, d) * d;
        expect(q).to.equal(floorDiv(n, d) + (2n * r >= d ? 1n : 0n));
        // |q*d - n| <= d/2
        const diff = q * d - n;
        expect(2n * (diff < 0n ? -diff : diff) <= d).to.equal(true);
      }),
    );
  });
});
