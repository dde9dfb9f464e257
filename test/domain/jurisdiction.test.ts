/** src/domain/jurisdiction.ts and the built-in profiles (src/jurisdictions/profiles.ts). */
import { expect } from "chai";
import { countryOf, decodeJurisdiction, encodeJurisdiction, InvalidArgumentError, isValidJurisdiction } from "../../src/domain";
import { BUILT_IN_JURISDICTIONS, chinaCapBps, profileOf } from "../../src/jurisdictions/profiles";

describe("domain/jurisdiction", function () {
  it("encodes a code as the ledger's left-aligned bytes6 and back", function () {
    expect(encodeJurisdiction("CN")).to.equal("0x434e00000000");
    expect(encodeJurisdiction("GB-SCT")).to.equal("0x47422d534354");
    for (const code of ["CN", "US-CA", "GB-SCT", "FR-75C", "US-1"]) expect(decodeJurisdiction(encodeJurisdiction(code))).to.equal(code);
    expect(decodeJurisdiction("0x000000000000")).to.equal("");
    expect(countryOf("US-CA")).to.equal("US");
  });

  it("refuses what is not ISO 3166 shaped, naming it", function () {
    for (const bad of ["", "C", "cn", "CHN", "CN-", "CN-ABCD", "CN_GD", "CN-gd", " CN"]) {
      expect(isValidJurisdiction(bad), bad).to.equal(false);
      expect(() => encodeJurisdiction(bad), bad).to.throw(InvalidArgumentError, "jurisdiction");
    }
  });

  it("has the built-in profiles of mainland China, the United States and the United Kingdom, each rule with its source", function () {
    expect(BUILT_IN_JURISDICTIONS.map((p) => p.code)).to.deep.equal(["CN", "US", "US-NY", "GB"]);
    for (const p of BUILT_IN_JURISDICTIONS) {
      expect(isValidJurisdiction(p.code), `${p.code} is an ISO 3166 code`).to.equal(true);
      expect(p.capSources.length, `${p.code} cap sources`).to.be.greaterThan(0);
      expect(p.contact.sources.length, `${p.code} contact sources`).to.be.greaterThan(0);
      expect(p.contact.startHour < p.contact.endHour, `${p.code} hours`).to.equal(true);
    }
    expect(chinaCapBps(300)).to.equal(1_200);
    expect(profileOf("US")!.contact).to.include({ startHour: 8, endHour: 21, maxCallAttemptsPer7Days: 7, coolDownDaysAfterConversation: 7 });
    expect(profileOf("CN")!.contact).to.include({ startHour: 8, endHour: 22, maxConnectedCallsPerDay: 3 });
    expect(profileOf("GB-SCT")!.code, "a subdivision without a profile follows its country").to.equal("GB");
    expect(profileOf("FR")).to.equal(undefined);
  });
});
