import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { DAY } from "./helpers/fixtures";
import {
  Channel,
  DEFAULT_CONTACT_POLICY,
  EAST_OFFSET_MINUTES,
  Flag,
  HOUR,
  Kind,
  MINUTE,
  increaseToLocalHour,
  overdueCollectionFixture,
  policyTuple,
  recordFlags,
  type ContactPolicyStruct,
} from "./helpers/collection";

const DEFAULT_ADMIN_ROLE = ethers.ZeroHash;

/** Caps wider than the defaults, so each bound of a lender policy can be probed on both sides. */
const WIDE_CAPS: ContactPolicyStruct = {
  maxConnectedCallsPerDay: 5,
  maxCallAttemptsPer7Days: 10,
  contactStartHour: 7,
  contactEndHour: 22,
  legalStageDpd: 30,
  actionWindowDays: 5,
};

describe("CollectionLog: contact policy and caps", function () {
  describe("caps and defaults", function () {
    it("starts with the product defaults as caps and as every lender's policy", async function () {
      const { log, lender, stranger } = await loadFixture(overdueCollectionFixture);
      const d = policyTuple(DEFAULT_CONTACT_POLICY);
      expect(await log.caps()).to.deep.equal(d);
      expect(await log.contactPolicyOf(lender.address)).to.deep.equal(d);
      expect(await log.contactPolicyOf(stranger.address)).to.deep.equal(d);
    });

    it("emits CapsSet at deployment", async function () {
      const { ledger, admin } = await loadFixture(overdueCollectionFixture);
      const log = await ethers.deployContract("CollectionLog", [await ledger.getAddress(), admin.address]);
      await expect(log.deploymentTransaction()).to.emit(log, "CapsSet").withArgs(policyTuple(DEFAULT_CONTACT_POLICY));
      expect(await log.ledger()).to.equal(await ledger.getAddress());
      expect(await log.hasRole(DEFAULT_ADMIN_ROLE, admin.address)).to.equal(true);
    });
  });

  describe("setCaps", function () {
    it("lets the admin set caps and emits CapsSet", async function () {
      const { log, admin } = await loadFixture(overdueCollectionFixture);
      await expect(log.connect(admin).setCaps(WIDE_CAPS)).to.emit(log, "CapsSet").withArgs(policyTuple(WIDE_CAPS));
      expect(await log.caps()).to.deep.equal(policyTuple(WIDE_CAPS));
    });

    it("accepts the widest caps: 00:00-24:00, 7 days, 255 calls", async function () {
      const { log, admin } = await loadFixture(overdueCollectionFixture);
      const widest = { maxConnectedCallsPerDay: 255, maxCallAttemptsPer7Days: 255, contactStartHour: 0, contactEndHour: 24, legalStageDpd: 0, actionWindowDays: 7 };
      await expect(log.connect(admin).setCaps(widest)).to.emit(log, "CapsSet");
      const narrowest = { maxConnectedCallsPerDay: 1, maxCallAttemptsPer7Days: 1, contactStartHour: 23, contactEndHour: 24, legalStageDpd: 65_535, actionWindowDays: 1 };
      await expect(log.connect(admin).setCaps(narrowest)).to.emit(log, "CapsSet");
    });

    it("refuses invalid caps with CollectionLogInvalidCaps(caps)", async function () {
      const { log, admin } = await loadFixture(overdueCollectionFixture);
      const invalid: ContactPolicyStruct[] = [
        { ...WIDE_CAPS, maxConnectedCallsPerDay: 0 },
        { ...WIDE_CAPS, maxCallAttemptsPer7Days: 0 },
        { ...WIDE_CAPS, contactStartHour: 22, contactEndHour: 22 },
        { ...WIDE_CAPS, contactStartHour: 23, contactEndHour: 22 },
        { ...WIDE_CAPS, contactEndHour: 25 },
        { ...WIDE_CAPS, actionWindowDays: 0 },
        { ...WIDE_CAPS, actionWindowDays: 8 },
      ];
      for (const c of invalid) {
        await expect(log.connect(admin).setCaps(c), JSON.stringify(c)).to.be.revertedWithCustomError(log, "CollectionLogInvalidCaps").withArgs(policyTuple(c));
      }
      expect(await log.caps()).to.deep.equal(policyTuple(DEFAULT_CONTACT_POLICY));
    });

    it("refuses anyone but the admin, lenders included", async function () {
      const { log, lender, collector, stranger } = await loadFixture(overdueCollectionFixture);
      for (const who of [lender, collector, stranger]) {
        await expect(log.connect(who).setCaps(WIDE_CAPS))
          .to.be.revertedWithCustomError(log, "AccessControlUnauthorizedAccount")
          .withArgs(who.address, DEFAULT_ADMIN_ROLE);
      }
    });
  });

  describe("setContactPolicy", function () {
    it("lets a lender set a policy within the caps, for its loans only, and emits ContactPolicySet", async function () {
      const { log, lender, otherLender } = await loadFixture(overdueCollectionFixture);
      const p = { ...DEFAULT_CONTACT_POLICY, maxConnectedCallsPerDay: 2, contactStartHour: 9, contactEndHour: 20, legalStageDpd: 90, actionWindowDays: 3 };
      await expect(log.connect(lender).setContactPolicy(p)).to.emit(log, "ContactPolicySet").withArgs(lender.address, policyTuple(p));
      expect(await log.contactPolicyOf(lender.address)).to.deep.equal(policyTuple(p));
      expect(await log.contactPolicyOf(otherLender.address)).to.deep.equal(policyTuple(DEFAULT_CONTACT_POLICY));
    });

    it("accepts each bound exactly at the caps", async function () {
      const { log, admin, lender } = await loadFixture(overdueCollectionFixture);
      await log.connect(admin).setCaps(WIDE_CAPS);
      await expect(log.connect(lender).setContactPolicy(WIDE_CAPS)).to.emit(log, "ContactPolicySet");
      const tightest = { maxConnectedCallsPerDay: 1, maxCallAttemptsPer7Days: 1, contactStartHour: 21, contactEndHour: 22, legalStageDpd: 65_535, actionWindowDays: 1 };
      await expect(log.connect(lender).setContactPolicy(tightest)).to.emit(log, "ContactPolicySet").withArgs(lender.address, policyTuple(tightest));
    });

    it("refuses each bound one step outside with CollectionLogPolicyOutsideCaps(policy, caps)", async function () {
      const { log, admin, lender } = await loadFixture(overdueCollectionFixture);
      await log.connect(admin).setCaps(WIDE_CAPS);
      const outside: [string, ContactPolicyStruct][] = [
        ["no connected call", { ...WIDE_CAPS, maxConnectedCallsPerDay: 0 }],
        ["connected calls above cap", { ...WIDE_CAPS, maxConnectedCallsPerDay: 6 }],
        ["no call attempt", { ...WIDE_CAPS, maxCallAttemptsPer7Days: 0 }],
        ["call attempts above cap", { ...WIDE_CAPS, maxCallAttemptsPer7Days: 11 }],
        ["start before cap", { ...WIDE_CAPS, contactStartHour: 6 }],
        ["start = end", { ...WIDE_CAPS, contactStartHour: 12, contactEndHour: 12 }],
        ["start after end", { ...WIDE_CAPS, contactStartHour: 13, contactEndHour: 12 }],
        ["end after cap", { ...WIDE_CAPS, contactEndHour: 23 }],
        ["zero window", { ...WIDE_CAPS, actionWindowDays: 0 }],
        ["window above cap", { ...WIDE_CAPS, actionWindowDays: 6 }],
        ["legal stage below cap", { ...WIDE_CAPS, legalStageDpd: 29 }],
      ];
      for (const [name, p] of outside) {
        await expect(log.connect(lender).setContactPolicy(p), name)
          .to.be.revertedWithCustomError(log, "CollectionLogPolicyOutsideCaps")
          .withArgs(policyTuple(p), policyTuple(WIDE_CAPS));
      }
      expect(await log.contactPolicyOf(lender.address)).to.deep.equal(policyTuple(DEFAULT_CONTACT_POLICY));
    });

    it("refuses an account without LENDER_ROLE in the ledger", async function () {
      const { log, admin, collector, borrower, stranger } = await loadFixture(overdueCollectionFixture);
      for (const who of [admin, collector, borrower, stranger]) {
        await expect(log.connect(who).setContactPolicy(DEFAULT_CONTACT_POLICY))
          .to.be.revertedWithCustomError(log, "CollectionLogNotLenderRole")
          .withArgs(who.address);
      }
    });

    it("checks a policy against the caps current when it is set", async function () {
      const { log, admin, lender } = await loadFixture(overdueCollectionFixture);
      const p = { ...DEFAULT_CONTACT_POLICY, maxConnectedCallsPerDay: 2 };
      await log.connect(lender).setContactPolicy(p);
      const narrow = { ...DEFAULT_CONTACT_POLICY, maxConnectedCallsPerDay: 1 };
      await log.connect(admin).setCaps(narrow);
      await expect(log.connect(lender).setContactPolicy(p))
        .to.be.revertedWithCustomError(log, "CollectionLogPolicyOutsideCaps")
        .withArgs(policyTuple(p), policyTuple(narrow));
      await expect(log.connect(lender).setContactPolicy(narrow)).to.emit(log, "ContactPolicySet");
    });
  });

  describe("a lender's policy drives its loans' flags and window", function () {
    it("flags the 2nd connected call of a day when the lender allows one", async function () {
      const { log, lender, collector, loanId } = await loadFixture(overdueCollectionFixture);
      await log.connect(lender).setContactPolicy({ ...DEFAULT_CONTACT_POLICY, maxConnectedCallsPerDay: 1 });
      const { today } = await increaseToLocalHour(20, EAST_OFFSET_MINUTES);
      expect(await recordFlags(log, collector, loanId, today + 10n * HOUR)).to.equal(0);
      expect(await recordFlags(log, collector, loanId, today + 11n * HOUR)).to.equal(Flag.TooManyConnectedCalls);
    });

    it("flags the 3rd call in 7 days when the lender allows two", async function () {
      const { log, lender, collector, loanId } = await loadFixture(overdueCollectionFixture);
      await log.connect(lender).setContactPolicy({ ...DEFAULT_CONTACT_POLICY, maxCallAttemptsPer7Days: 2 });
      const { today } = await increaseToLocalHour(20, EAST_OFFSET_MINUTES);
      expect(await recordFlags(log, collector, loanId, today - 6n * DAY + 10n * HOUR, Channel.Call, Kind.ContactAttempt)).to.equal(0);
      expect(await recordFlags(log, collector, loanId, today - 3n * DAY + 10n * HOUR, Channel.Call, Kind.ContactAttempt)).to.equal(0);
      expect(await recordFlags(log, collector, loanId, today + 10n * HOUR, Channel.Call, Kind.ContactAttempt)).to.equal(Flag.TooManyCallAttempts);
    });

    it("uses the lender's hours: 09:00-20:00 flags 08:59 and 20:00, not 09:00 and 19:59", async function () {
      const { log, lender, collector, loanId } = await loadFixture(overdueCollectionFixture);
      await log.connect(lender).setContactPolicy({ ...DEFAULT_CONTACT_POLICY, contactStartHour: 9, contactEndHour: 20 });
      const { today } = await increaseToLocalHour(22, EAST_OFFSET_MINUTES);
      const at = (h: bigint, m: bigint) => today + h * HOUR + m * MINUTE;
      const sms = (t: bigint) => recordFlags(log, collector, loanId, t, Channel.Sms, Kind.ContactAttempt);
      expect(await sms(at(8n, 59n))).to.equal(Flag.OutsideHours);
      expect(await sms(at(9n, 0n))).to.equal(0);
      expect(await sms(at(19n, 59n))).to.equal(0);
      expect(await sms(at(20n, 0n))).to.equal(Flag.OutsideHours);
    });

    it("uses the lender's legal stage: DPD 70 is before a stage of 90", async function () {
      const { log, lender, collector, loanId } = await loadFixture(overdueCollectionFixture);
      const now = BigInt(await time.latest());
      expect(await recordFlags(log, collector, loanId, now, Channel.Letter, Kind.LegalNotice)).to.equal(0);
      await log.connect(lender).setContactPolicy({ ...DEFAULT_CONTACT_POLICY, legalStageDpd: 90 });
      expect(await recordFlags(log, collector, loanId, now, Channel.Letter, Kind.LegalNotice)).to.equal(Flag.LegalBeforeStage);
    });

    it("uses the lender's action window for stale actions", async function () {
      const { log, lender, collector, loanId } = await loadFixture(overdueCollectionFixture);
      await log.connect(lender).setContactPolicy({ ...DEFAULT_CONTACT_POLICY, actionWindowDays: 2 });
      const t = BigInt(await time.latest()) + 100n;
      await time.setNextBlockTimestamp(t);
      await expect(log.connect(collector).recordAction(loanId, Channel.Other, Kind.Note, 0, t - 2n * DAY - 1n, ethers.ZeroHash))
        .to.be.revertedWithCustomError(log, "CollectionLogOccurredTooLongAgo")
        .withArgs(t - 2n * DAY - 1n, t - 2n * DAY);
      await time.setNextBlockTimestamp(t + 10n);
      await expect(log.connect(collector).recordAction(loanId, Channel.Other, Kind.Note, 0, t + 10n - 2n * DAY, ethers.ZeroHash)).to.emit(log, "ActionRecorded");
    });

    it("does not touch another lender's loans", async function () {
      const { log, lender, otherCollector, otherLoanId } = await loadFixture(overdueCollectionFixture);
      await log.connect(lender).setContactPolicy({ ...DEFAULT_CONTACT_POLICY, maxConnectedCallsPerDay: 1 });
      const { today } = await increaseToLocalHour(20, EAST_OFFSET_MINUTES);
      expect(await recordFlags(log, otherCollector, otherLoanId, today + 10n * HOUR)).to.equal(0);
      expect(await recordFlags(log, otherCollector, otherLoanId, today + 11n * HOUR)).to.equal(0);
    });
  });
});
