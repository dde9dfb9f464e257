import { expect } from "chai";
import fc from "fast-check";
import {
  DAY,
  InvalidArgumentError,
  addMonthsClamped,
  civilFromDays,
  daysFromCivil,
  daysInMonth,
  dueDates,
  parseIsoDate,
  parseIsoTimestamp,
  toIsoString,
} from "../../src/domain";

const iso = (dates: bigint[]) => dates.map((d) => toIsoString(d).slice(0, 10));

describe("domain/dates", function () {
  it("parses a date to 00:00:00 UTC in unix seconds", function () {
    expect(parseIsoDate("1970-01-01")).to.equal(0n);
    expect(parseIsoDate("2025-01-31")).to.equal(1_738_281_600n);
    expect(toIsoString(1_738_281_600n)).to.equal("2025-01-31T00:00:00.000Z");
  });

  it("rejects malformed and impossible dates", function () {
    for (const bad of ["2023-02-29", "2024-13-01", "2024-00-10", "2024-04-31", "24-01-01", "2024-1-1", "1969-12-31", ""]) {
      expect(() => parseIsoDate(bad), bad).to.throw(InvalidArgumentError);
    }
    expect(parseIsoDate("2024-02-29")).to.equal(BigInt(Date.UTC(2024, 1, 29) / 1000));
  });

  it("parses ISO timestamps to whole seconds", function () {
    expect(parseIsoTimestamp("2025-01-31T12:34:56Z")).to.equal(1_738_281_600n + 45_296n);
    expect(parseIsoTimestamp("2025-01-31T12:34:56.000Z")).to.equal(1_738_281_600n + 45_296n);
    expect(() => parseIsoTimestamp("2025-01-31T12:34:56.5Z")).to.throw(InvalidArgumentError);
    expect(() => parseIsoTimestamp("2025-01-31T24:00:00Z")).to.throw(InvalidArgumentError);
    expect(() => parseIsoTimestamp("2025-01-31T10:00:00+01:00")).to.throw(InvalidArgumentError);
  });

  it("knows month lengths and leap years", function () {
    expect(daysInMonth(2023, 2)).to.equal(28);
    expect(daysInMonth(2024, 2)).to.equal(29);
    expect(daysInMonth(1900, 2)).to.equal(28);
    expect(daysInMonth(2000, 2)).to.equal(29);
    expect(daysInMonth(2024, 4)).to.equal(30);
  });

  it("clamps a Jan 31 anchor monthly without drifting (non-leap year)", function () {
    expect(iso(dueDates("2023-01-31", 6, "monthly"))).to.deep.equal([
      "2023-01-31", "2023-02-28", "2023-03-31", "2023-04-30", "2023-05-31", "2023-06-30",
    ]);
  });

  it("clamps a Jan 31 anchor to Feb 29 in a leap year", function () {
    expect(iso(dueDates("2024-01-31", 3, "monthly"))).to.deep.equal(["2024-01-31", "2024-02-29", "2024-03-31"]);
  });

  it("keeps a Feb 29 anchor's day-of-month: Feb 29 -> Mar 29, then Feb 28 the next year", function () {
    expect(iso(dueDates("2024-02-29", 13, "monthly")).slice(0, 2)).to.deep.equal(["2024-02-29", "2024-03-29"]);
    expect(iso(dueDates("2024-02-29", 13, "monthly"))[12]).to.equal("2025-02-28");
  });

  it("steps quarterly across the year end with clamping", function () {
    expect(iso(dueDates("2023-11-30", 5, "quarterly"))).to.deep.equal([
      "2023-11-30", "2024-02-29", "2024-05-30", "2024-08-30", "2024-11-30",
    ]);
    expect(iso(dueDates("2025-08-31", 3, "quarterly"))).to.deep.equal(["2025-08-31", "2025-11-30", "2026-02-28"]);
  });

  it("due dates are midnight UTC and strictly increasing", function () {
    fc.assert(
      fc.property(
        fc.date({ min: new Date("1970-01-01T00:00:00Z"), max: new Date("2200-12-31T00:00:00Z"), noInvalidDate: true }),
        fc.integer({ min: 1, max: 600 }),
        fc.constantFrom("monthly" as const, "quarterly" as const),
        (d, count, freq) => {
          const dates = dueDates(d.toISOString().slice(0, 10), count, freq);
          expect(dates).to.have.length(count);
          dates.forEach((t, k) => {
            expect(t % DAY).to.equal(0n);
            if (k > 0) expect(t > dates[k - 1]!).to.equal(true);
          });
        },
      ),
      { numRuns: 25 },
    );
  });

  it("civil conversions agree with Date.UTC and toISOString", function () {
    // From year 327 on: Date.UTC maps years 0..99 to 1900..1999, so earlier days are not comparable.
    fc.assert(
      fc.property(fc.integer({ min: -600_000, max: 2_000_000 }), fc.integer({ min: 0, max: 86_399 }), (days, sod) => {
        const seconds = BigInt(days) * DAY + BigInt(sod);
        expect(toIsoString(seconds)).to.equal(new Date(Number(seconds) * 1000).toISOString());
        const c = civilFromDays(BigInt(days));
        expect(daysFromCivil(c)).to.equal(BigInt(days));
        expect(Date.UTC(c.year, c.month - 1, c.day)).to.equal(days * 86_400_000);
      }),
    );
  });

  it("addMonthsClamped never exceeds the anchor day and lands in the right month", function () {
    expect(addMonthsClamped({ year: 2023, month: 12, day: 31 }, 2)).to.deep.equal({ year: 2024, month: 2, day: 29 });
    expect(addMonthsClamped({ year: 2023, month: 1, day: 15 }, 25)).to.deep.equal({ year: 2025, month: 2, day: 15 });
  });
});
