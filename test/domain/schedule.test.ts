import { expect } from "chai";
import fc from "fast-check";
import {
  DAY,
  DueDateTooLateError,
  DueDatesNotIncreasingError,
  EmptyInstallmentError,
  FirstDueNotAfterNowError,
  InstallmentCountError,
  InstallmentPartOutOfRangeError,
  InvalidArgumentError,
  PrincipalMismatchError,
  ScheduleError,
  annuityPayment,
  generateSchedule,
  parseIsoDate,
  scheduleTotals,
  toIsoString,
  validateSchedule,
  type GenerateScheduleParameters,
  type Installment,
} from "../../src/domain";
import { PART_LIMIT, arbGenerateParameters } from "./arbitraries";

const base: GenerateScheduleParameters = {
  kind: "annuity",
  principal: 1_000_000n,
  annualRateBps: 1200,
  count: 12,
  firstDue: "2025-01-31",
  frequency: "monthly",
};
const rows = (s: Installment[]) => s.map((i) => [i.principal, i.interest]);

/**
 * An independent statement of the generators, for the property tests. The annuity payment
 * comes from the present-value sum instead of the closed form:
 * PMT = P / sum_{k=1..n} (1+r)^-k = P (m+b)^n / sum_{k=1..n} m^k (m+b)^(n-k), with r = b/m
 * (which is P / n at rate 0, so no special case).
 */
function reference(p: GenerateScheduleParameters): bigint[][] {
  const m = 10_000n * (p.frequency === "monthly" ? 12n : 4n);
  const b = BigInt(p.annualRateBps);
  const n = BigInt(p.count);
  const round = (num: bigint, den: bigint) => (2n * num + den) / (2n * den);
  let pv = 0n;
  for (let k = 1n; k <= n; k++) pv += m ** k * (m + b) ** (n - k);
  const payment = round(p.principal * (m + b) ** n, pv);
  const part = round(p.principal, n);
  let out = p.principal;
  const result: bigint[][] = [];
  for (let k = 0; k < p.count; k++) {
    const interest = round(out * b, m);
    let principal = p.kind === "annuity" ? payment - interest : p.kind === "equal-principal" ? part : 0n;
    if (principal > out || k === p.count - 1) principal = out;
    out -= principal;
    result.push([principal, interest]);
  }
  return result;
}

describe("domain/schedule", function () {
  describe("annuity", function () {
    it("1,000,000 at 12% over 12 months pays 88,849 (hand-checked rows)", function () {
      const s = generateSchedule(base);
      // r = 1%: PMT = 1e6 * 0.01 * 1.01^12 / (1.01^12 - 1) = 88,848.79 -> 88,849.
      // Row 1: interest 1,000,000 * 1% = 10,000; principal 78,849; outstanding 921,151.
      // Row 2: interest 9,211.51 -> 9,212; principal 79,637; outstanding 841,514.
      // Row 3: interest 8,415.14 -> 8,415; principal 80,434.
      expect(rows(s).slice(0, 3)).to.deep.equal([
        [78_849n, 10_000n],
        [79_637n, 9_212n],
        [80_434n, 8_415n],
      ]);
      s.slice(0, 11).forEach((i) => expect(i.principal + i.interest).to.equal(88_849n));
      // The last installment takes what is outstanding: 87,967 + 880 = 88,847.
      expect(rows(s)[11]).to.deep.equal([87_967n, 880n]);
      expect(scheduleTotals(s)).to.deep.equal({ principal: 1_000_000n, interest: 66_186n, total: 1_066_186n });
      expect(toIsoString(s[1]!.dueDate)).to.equal("2025-02-28T00:00:00.000Z");
    });

    it("follows Excel's PMT convention (periodic rate = annual / periods per year)", function () {
      // =PMT(5%/12, 360, -200000) = 1,073.64 (cents).
      expect(annuityPayment(20_000_000n, 500n, 12n, 360)).to.equal(107_364n);
      // =PMT(8%/4, 20, -1000000) = 61,156.72 -> 61,157.
      expect(annuityPayment(1_000_000n, 800n, 4n, 20)).to.equal(61_157n);
      const q = generateSchedule({ ...base, annualRateBps: 800, count: 20, frequency: "quarterly" });
      expect(q[0]).to.deep.include({ principal: 41_157n, interest: 20_000n });
      expect(scheduleTotals(q).principal).to.equal(1_000_000n);
    });

    it("divides evenly at rate 0 (halfUp(P, n)), the last absorbing the residue", function () {
      const s = generateSchedule({ ...base, principal: 1_000n, annualRateBps: 0, count: 3 });
      expect(rows(s)).to.deep.equal([[333n, 0n], [333n, 0n], [334n, 0n]]);
    });
  });

  describe("equal-principal and interest-only", function () {
    it("equal-principal: halfUp(P, n) each, last absorbs the residue, interest on the outstanding", function () {
      // 1000 at 1%/month: interest 10, 6.67 -> 7, 3.34 -> 3.
      expect(rows(generateSchedule({ ...base, kind: "equal-principal", principal: 1_000n, count: 3 }))).to.deep.equal([
        [333n, 10n], [333n, 7n], [334n, 3n],
      ]);
      // 2000/3 = 666.67 rounds up, so the last is smaller: 667, 667, 666.
      expect(rows(generateSchedule({ ...base, kind: "equal-principal", principal: 2_000n, count: 3 })).map((r) => r[0])).to.deep.equal([
        667n, 667n, 666n,
      ]);
    });

    it("interest-only: interest every period, all principal with the last", function () {
      const s = generateSchedule({ ...base, kind: "interest-only", principal: 500_000n, count: 4, frequency: "quarterly" });
      // 12% a year quarterly = 3%: 15,000 a quarter.
      expect(rows(s)).to.deep.equal([[0n, 15_000n], [0n, 15_000n], [0n, 15_000n], [500_000n, 15_000n]]);
    });

    it("refuses schedules the contract would refuse: empty installments", function () {
      // halfUp(400, 600) = 1: principal runs out after 400 parts (clamped, never negative),
      // leaving installment 400 with 0 + 0, which LoanLedger rejects.
      expect(() => generateSchedule({ ...base, kind: "equal-principal", principal: 400n, annualRateBps: 0, count: 600 }))
        .to.throw(EmptyInstallmentError)
        .with.property("index", 400);
      // Interest-only at 0% has nothing to pay before the balloon.
      expect(() => generateSchedule({ ...base, kind: "interest-only", annualRateBps: 0, count: 2 }))
        .to.throw(EmptyInstallmentError)
        .with.property("index", 0);
      expect(rows(generateSchedule({ ...base, kind: "interest-only", annualRateBps: 0, count: 1 }))).to.deep.equal([[1_000_000n, 0n]]);
    });
  });

  describe("validation", function () {
    const ok: Installment[] = [
      { dueDate: 1_000n, principal: 60n, interest: 5n },
      { dueDate: 2_000n, principal: 40n, interest: 0n },
    ];

    it("accepts a valid custom schedule", function () {
      expect(() => validateSchedule(ok, 100n, 999n)).not.to.throw();
    });

    it("rejects each contract check with a typed error carrying the values", function () {
      expect(() => validateSchedule([], 100n, 0n)).to.throw(InstallmentCountError);
      const many = Array.from({ length: 601 }, (_, k) => ({ dueDate: BigInt(k + 1), principal: k === 0 ? 1n : 0n, interest: 1n }));
      expect(() => validateSchedule(many, 1n, 0n)).to.throw(InstallmentCountError);
      expect(() => validateSchedule(many.slice(0, 600), 1n, 0n)).not.to.throw();
      expect(() => validateSchedule([ok[0]!, { ...ok[1]!, principal: 0n }], 100n, 0n)).to.throw(EmptyInstallmentError);
      expect(() => validateSchedule([ok[0]!, { ...ok[1]!, dueDate: 1n << 40n }], 100n, 0n)).to.throw(DueDateTooLateError);
      const huge = [{ ...ok[0]!, principal: PART_LIMIT - 1n }, { ...ok[1]!, principal: 1n }];
      expect(() => validateSchedule(huge, PART_LIMIT, 0n)).to.throw(InstallmentPartOutOfRangeError).with.property("part", "sum");

      try {
        validateSchedule(ok, 100n, 1_000n);
        expect.fail("first due == now must be rejected");
      } catch (err) {
        expect(err).to.be.instanceOf(FirstDueNotAfterNowError).and.to.be.instanceOf(ScheduleError);
        expect((err as FirstDueNotAfterNowError).dueDate).to.equal(1_000n);
      }
      expect(() => validateSchedule([ok[0]!, { ...ok[1]!, dueDate: 1_000n }], 100n, 0n)).to.throw(DueDatesNotIncreasingError);
      expect(() => validateSchedule([ok[0]!, { ...ok[1]!, interest: PART_LIMIT }], 100n, 0n)).to.throw(InstallmentPartOutOfRangeError);
      expect(() => validateSchedule([ok[0]!, { ...ok[1]!, principal: -1n }], 100n, 0n)).to.throw(InstallmentPartOutOfRangeError);
      try {
        validateSchedule(ok, 101n, 0n);
        expect.fail("sum mismatch must be rejected");
      } catch (err) {
        expect(err).to.be.instanceOf(PrincipalMismatchError);
        expect(err).to.deep.include({ expected: 101n, actual: 100n });
        expect((err as PrincipalMismatchError).shortMessage).to.equal("Principal parts sum to 100, expected 101.");
      }
    });

    it("generator rejects bad parameters", function () {
      expect(() => generateSchedule({ ...base, count: 0 })).to.throw(InstallmentCountError);
      expect(() => generateSchedule({ ...base, count: 601 })).to.throw(InstallmentCountError);
      expect(() => generateSchedule({ ...base, principal: 0n })).to.throw(InvalidArgumentError);
      expect(() => generateSchedule({ ...base, annualRateBps: 1.5 })).to.throw(InvalidArgumentError);
      expect(() => generateSchedule({ ...base, firstDue: "2025-02-30" })).to.throw(InvalidArgumentError);
      expect(() => generateSchedule({ ...base, principal: PART_LIMIT - 1n, annualRateBps: 1_200_000, kind: "interest-only" })).to.throw(
        InstallmentPartOutOfRangeError,
      );
    });
  });

  describe("properties", function () {
    it("every generated schedule is valid and its principal sums exactly", function () {
      fc.assert(
        fc.property(arbGenerateParameters, (p) => {
          let s: Installment[];
          try {
            s = generateSchedule(p);
          } catch (err) {
            // Only what the contract refuses: a part reaching 2^96 (huge principal x huge rate),
            // or an installment of 0 + 0 (fewer minor units than installments, 0% interest-only).
            if (err instanceof EmptyInstallmentError) {
              expect(reference(p)[err.index]).to.deep.equal([0n, 0n]);
              return;
            }
            expect(err).to.be.instanceOf(InstallmentPartOutOfRangeError);
            return;
          }
          expect(rows(s)).to.deep.equal(reference(p));
          expect(s).to.have.length(p.count);
          validateSchedule(s, p.principal, parseIsoDate(p.firstDue) - 1n);
          expect(scheduleTotals(s).principal).to.equal(p.principal);
          expect(s[0]!.dueDate).to.equal(parseIsoDate(p.firstDue));
          expect(s.every((i) => i.dueDate % DAY === 0n)).to.equal(true);
        }),
        { numRuns: 150 },
      );
    });

    it("annuity payments are level except the last; interest is halfUp of the outstanding", function () {
      fc.assert(
        fc.property(arbGenerateParameters, (p0) => {
          // Rates a lender can charge (up to 100% a year): at absurd rates (hundreds of % a quarter)
          // the level payment pays the loan off early and the generator refuses the empty last row
          // (the property above covers those refusals).
          const p = {
            ...p0,
            kind: "annuity" as const,
            principal: p0.principal + 10n ** 9n,
            count: Math.min(p0.count, 120),
            annualRateBps: Math.min(p0.annualRateBps, 10_000),
          };
          const s = generateSchedule(p);
          const ppy = p.frequency === "monthly" ? 12n : 4n;
          const payment = annuityPayment(p.principal, BigInt(p.annualRateBps), ppy, p.count);
          let outstanding = p.principal;
          s.forEach((i, k) => {
            const n = outstanding * BigInt(p.annualRateBps);
            const d = 10_000n * ppy;
            // interest within half a unit of the exact periodic interest, halves up
            expect(2n * i.interest * d > 2n * n - d && 2n * i.interest * d <= 2n * n + d).to.equal(true);
            if (k < s.length - 1) expect(i.principal + i.interest).to.equal(payment);
            outstanding -= i.principal;
          });
          expect(outstanding).to.equal(0n);
        }),
        { numRuns: 60 },
      );
    });
  });
});
