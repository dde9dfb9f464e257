/**
 * CollectionLog: contact rules per jurisdiction (docs/jurisdictions.md), set by the admin; a loan's
 * actions are flagged against its lender's policy tightened by its jurisdiction's rules (its own,
 * else its country's). The flag arithmetic is checked against src/domain/compliance.ts at random in
 * test/domain/compliance.test.ts; here, who may set what and how a loan finds its rules.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { encodeJurisdiction } from "../../src/domain";
import { ComplianceFlag } from "../../src/domain/compliance";
import { Channel, Kind } from "../../src/domain/collection-types";
import { DAY, collectionLogFixture, setNextTimestamp, LOAN_OFFSETS } from "../domain/helpers/collection-chain";

const j = encodeJurisdiction;
const US = { contactStartHour: 8, contactEndHour: 21, maxConnectedCallsPerDay: 0, maxCallAttemptsPer7Days: 7, coolDownDaysAfterConversation: 7 };
const CN = { contactStartHour: 8, contactEndHour: 22, maxConnectedCallsPerDay: 3, maxCallAttemptsPer7Days: 0, coolDownDaysAfterConversation: 0 };

describe("CollectionLog: jurisdiction contact rules", function () {
  it("lets the admin set and remove a jurisdiction's rules; a subdivision without its own follows its country", async function () {
    const f = await loadFixture(collectionLogFixture);
    await expect(f.log.connect(f.admin).setJurisdictionRules(j("US"), US))
      .to.emit(f.log, "JurisdictionRulesSet")
      .withArgs(j("US"), Object.values(US), true);
    expect(await f.log.jurisdictionRulesOf(j("US-CA"))).to.deep.equal([Object.values(US).map(BigInt), true]);
    await f.log.connect(f.admin).setJurisdictionRules(j("US-CA"), { ...US, contactEndHour: 20 });
    expect((await f.log.jurisdictionRulesOf(j("US-CA")))[0].contactEndHour).to.equal(20n);
    await expect(f.log.connect(f.admin).removeJurisdictionRules(j("US-CA"))).to.emit(f.log, "JurisdictionRulesSet").withArgs(j("US-CA"), [0, 0, 0, 0, 0], false);
    expect((await f.log.jurisdictionRulesOf(j("US-CA")))[0].contactEndHour).to.equal(21n);
    expect(await f.log.jurisdictionRulesOf(j("GB"))).to.deep.equal([[0n, 0n, 0n, 0n, 0n], false]);
  });

  it("refuses anyone but the admin, malformed codes and rules that cannot hold", async function () {
    const f = await loadFixture(collectionLogFixture);
    await expect(f.log.connect(f.lender).setJurisdictionRules(j("CN"), CN)).to.be.revertedWithCustomError(f.log, "AccessControlUnauthorizedAccount");
    await expect(f.log.connect(f.lender).removeJurisdictionRules(j("CN"))).to.be.revertedWithCustomError(f.log, "AccessControlUnauthorizedAccount");
    await expect(f.log.connect(f.admin).setJurisdictionRules("0x636e00000000", CN)).to.be.revertedWithCustomError(f.log, "CollectionLogInvalidJurisdiction").withArgs("0x636e00000000");
    for (const bad of [{ ...CN, contactStartHour: 22 }, { ...CN, contactEndHour: 25 }, { ...CN, coolDownDaysAfterConversation: 8 }]) {
      await expect(f.log.connect(f.admin).setJurisdictionRules(j("CN"), bad)).to.be.revertedWithCustomError(f.log, "CollectionLogInvalidJurisdictionRules");
    }
  });

  it("flags a CN loan's fourth connected call of the day and a call after 22:00 once the CN rules are set, never before", async function () {
    const f = await loadFixture(collectionLogFixture);
    const loanId = f.loanIds[0]!; // UTC+8, registered in CN
    const offset = BigInt(LOAN_OFFSETS[0]) * 60n;
    // 10:00 local on a day well past the first due date.
    const day = ((f.firstDue + 40n * DAY + offset) / DAY) * DAY;
    const local = (h: number) => day + BigInt(h) * 3_600n - offset;
    // A lender policy looser than the jurisdiction's: 5 connected calls a day until 23:00.
    await f.log.connect(f.admin).setCaps({ maxConnectedCallsPerDay: 255, maxCallAttemptsPer7Days: 255, contactStartHour: 0, contactEndHour: 24, legalStageDpd: 0, actionWindowDays: 7 });
    await f.log.connect(f.lender).setContactPolicy({ maxConnectedCallsPerDay: 5, maxCallAttemptsPer7Days: 50, contactStartHour: 8, contactEndHour: 23, legalStageDpd: 0, actionWindowDays: 7 });
    await setNextTimestamp(local(23) - 60n);
    const flagsOf = async (occurredAt: bigint) => {
      const tx = await f.log.connect(f.collector).recordAction(loanId, Channel.Call, Kind.ContactMade, 1, occurredAt, ethers.id(`call ${occurredAt}`));
      const r = (await tx.wait())!;
      return Number(r.logs.map((l) => f.log.interface.parseLog(l)!).find((e) => e.name === "ActionRecorded")!.args.flags);
    };
    // Before the rules: four calls and one at 22:30 are within the lender's policy.
    const before = [];
    for (const h of [10, 11, 12, 13]) before.push(await flagsOf(local(h)));
    before.push(await flagsOf(local(22) + 1_800n));
    expect(before).to.deep.equal([0, 0, 0, 0, 0]);
    await f.log.connect(f.admin).setJurisdictionRules(j("CN"), CN);
    // The next day: the fourth connected call, and one at 22:30, are flagged.
    const next = (h: number) => local(h) + DAY;
    await setNextTimestamp(next(23) - 30n);
    const after = [];
    for (const h of [10, 11, 12, 13]) after.push(await flagsOf(next(h)));
    after.push(await flagsOf(next(22) + 1_800n));
    expect(after).to.deep.equal([0, 0, 0, ComplianceFlag.TooManyConnectedCalls, ComplianceFlag.TooManyConnectedCalls | ComplianceFlag.OutsideHours]);
  });
});
