/**
 * The console's amount formatting (console/src/lib/format.ts): exact for any size (no float on the
 * way), the currency's own minor digits, a token's decimals with its symbol, minor units without a unit.
 */
import { expect } from "chai";
import fc from "fast-check";
import { decimalString, formatAmount } from "../../console/src/lib/format";

describe("console/format", () => {
  it("decimalString places the point exactly for any amount and digits", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }), fc.integer({ min: 0, max: 77 }), (minor, digits) => {
        const s = decimalString(minor, digits);
        const [whole, frac = ""] = s.split(".");
        expect(frac.length).to.equal(digits);
        expect(BigInt(whole! + frac)).to.equal(minor);
      }),
    );
    expect(decimalString(5n, 3)).to.equal("0.005");
    expect(decimalString(-123456n, 2)).to.equal("-1234.56");
  });

  it("formats a currency with its minor digits, a token with its decimals and symbol, exactly", () => {
    expect(formatAmount("123450", { code: "CNY" }, "en")).to.equal("CN¥1,234.50");
    expect(formatAmount("123450", { code: "CNY" }, "zh-CN")).to.equal("¥1,234.50");
    expect(formatAmount("1235", { code: "JPY" }, "en")).to.equal("¥1,235");
    expect(formatAmount("1234567", { code: "BHD" }, "en")).to.equal("BHD\u00a01,234.567");
    expect(formatAmount("1500000", { symbol: "TUSD", decimals: 6 }, "en")).to.equal("1.50 TUSD");
    expect(formatAmount("18446744073709551616", { symbol: "WETH", decimals: 18 }, "en")).to.equal("18.446744073709551616 WETH");
    expect(formatAmount("100000000000000000000000000001", { symbol: "T", decimals: 0 }, "en")).to.equal("100,000,000,000,000,000,000,000,000,001 T");
    expect(formatAmount("1234567", null, "en")).to.equal("1,234,567");
    // What Intl cannot format falls back to minor units instead of throwing (one odd loan must not break a page).
    expect(formatAmount("1234567", { code: "C\u0000N" }, "en")).to.equal("1,234,567");
    expect(formatAmount("1234567", { symbol: "WIDE", decimals: 200 }, "en")).to.equal("1,234,567");
  });
});
