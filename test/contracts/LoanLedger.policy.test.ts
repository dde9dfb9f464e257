import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import {
  LENDER_ROLE,
  MAX_RATE_BPS,
  TEST_POLICY,
  deployLedgerFixture,
  tokenLoanParams,
  type PolicyStruct,
} from "./helpers/fixtures";

/** A policy as the tuple PolicySet and policy() carry. */
function policyTuple(p: PolicyStruct) {
  return [p.graceDays, p.penaltyRateBps, p.lateFee, p.substandardAfterDays, p.doubtfulAfterDays, p.lossAfterDays, p.defaultAfterDays, p.reminderOffsetsDays];
}

/** The product default policy, id 0 (PolicyStore.defaults). */
const DEFAULT_POLICY: PolicyStruct = {
  graceDays: 3,
  penaltyRateBps: 0,
  lateFee: 0n,
  substandardAfterDays: 90,
  doubtfulAfterDays: 270,
  lossAfterDays: 360,
  defaultAfterDays: 90,
  reminderOffsetsDays: [-3, 1, 7, 15, 30, 60, 90],
};

describe("LoanLedger: policy, cap and servicers", function () {
  /** deployLedgerFixture: policy 0 default, lender on policy 1, otherLender on policy 2. */
  async function policyFixture() {
    const f = await deployLedgerFixture();
    return { ...f, tokenAddress: await f.token.getAddress() };
  }

  describe("setPolicy", function () {
    it("publishes the policy under the next id, makes it the lender's current one and emits PolicySet", async function () {
      const { ledger, lender } = await loadFixture(policyFixture);
      const p: PolicyStruct = { ...TEST_POLICY, graceDays: 5, lateFee: 7n, reminderOffsetsDays: [-1, 2] };
      expect(await ledger.connect(lender).setPolicy.staticCall(p)).to.equal(3n);
      await expect(ledger.connect(lender).setPolicy(p)).to.emit(ledger, "PolicySet").withArgs(lender.address, 3n, policyTuple(p));
      expect(await ledger.currentPolicyOf(lender.address)).to.equal(3n);
      expect(await ledger.policy(3)).to.deep.equal(policyTuple(p));
    });

    it("keeps the other lenders' current policies", async function () {
      const { ledger, lender, otherLender } = await loadFixture(policyFixture);
      await ledger.connect(lender).setPolicy({ ...TEST_POLICY, graceDays: 0 });
      expect(await ledger.currentPolicyOf(otherLender.address)).to.equal(2n);
      expect((await ledger.policy(2)).graceDays).to.equal(3n);
    });

    it("has the product default as policy 0 for lenders that never set one", async function () {
      const { ledger, admin, stranger, borrower, tokenAddress } = await loadFixture(policyFixture);
      expect(await ledger.policy(0)).to.deep.equal(policyTuple(DEFAULT_POLICY));
      await ledger.connect(admin).grantRole(LENDER_ROLE, stranger.address);
      expect(await ledger.currentPolicyOf(stranger.address)).to.equal(0n);
      await ledger.connect(stranger).registerLoan(await tokenLoanParams(borrower.address, tokenAddress));
      const t = await ledger.loanTerms(1n);
      expect(t.policyId).to.equal(0n);
      expect(t.penalty).to.deep.equal([3n, 0n, BigInt(MAX_RATE_BPS - 600), 0n]);
    });

    it("applies only to loans registered afterwards: a loan keeps the policy and terms it was registered with", async function () {
      const { ledger, lender, borrower, tokenAddress } = await loadFixture(policyFixture);
      const params = await tokenLoanParams(borrower.address, tokenAddress);
      await ledger.connect(lender).registerLoan(params);
      await ledger.connect(lender).setPolicy({ ...TEST_POLICY, graceDays: 10, penaltyRateBps: 1_000, lateFee: 1n });
      await ledger.connect(lender).registerLoan(params);
      const before = await ledger.loanTerms(1n);
      const after = await ledger.loanTerms(2n);
      expect(before.policyId).to.equal(1n);
      expect(before.penalty).to.deep.equal([3n, 1_800n, 1_800n, 5_000_000n]);
      expect(after.policyId).to.equal(3n);
      expect(after.penalty).to.deep.equal([10n, 1_000n, 1_800n, 1n]);
    });

    it("accepts the boundaries: 90 grace days, penalty rate = cap, offsets -365 and 3,650, no offsets", async function () {
      const { ledger, lender } = await loadFixture(policyFixture);
      const p: PolicyStruct = { ...TEST_POLICY, graceDays: 90, penaltyRateBps: MAX_RATE_BPS, reminderOffsetsDays: [-365, 0, 3_650] };
      await expect(ledger.connect(lender).setPolicy(p)).to.emit(ledger, "PolicySet").withArgs(lender.address, 3n, policyTuple(p));
      expect(await ledger.policy(3)).to.deep.equal(policyTuple(p));
      const none: PolicyStruct = { ...TEST_POLICY, reminderOffsetsDays: [] };
      await expect(ledger.connect(lender).setPolicy(none)).to.emit(ledger, "PolicySet").withArgs(lender.address, 4n, policyTuple(none));
      expect((await ledger.policy(4)).reminderOffsetsDays).to.deep.equal([]);
    });

    it("accepts 15 reminder offsets, the documented maximum (ILoanLedger.setPolicy, ledger-rules.md)", async function () {
      const { ledger, lender } = await loadFixture(policyFixture);
      const offsets = [-365, ...Array.from({ length: 13 }, (_, k) => k * 10), 3_650];
      expect(offsets).to.have.length(15);
      const p: PolicyStruct = { ...TEST_POLICY, reminderOffsetsDays: offsets };
      await expect(ledger.connect(lender).setPolicy(p)).to.emit(ledger, "PolicySet").withArgs(lender.address, 3n, policyTuple(p));
      expect((await ledger.policy(3)).reminderOffsetsDays).to.deep.equal(offsets.map(BigInt));
    });

    it("refuses more than 90 grace days", async function () {
      const { ledger, lender } = await loadFixture(policyFixture);
      await expect(ledger.connect(lender).setPolicy({ ...TEST_POLICY, graceDays: 91 }))
        .to.be.revertedWithCustomError(ledger, "LoanLedgerInvalidGraceDays")
        .withArgs(91, 90);
    });

    it("refuses a penalty rate above the cap", async function () {
      const { ledger, lender } = await loadFixture(policyFixture);
      await expect(ledger.connect(lender).setPolicy({ ...TEST_POLICY, penaltyRateBps: MAX_RATE_BPS + 1 }))
        .to.be.revertedWithCustomError(ledger, "LoanLedgerPenaltyRateAboveCap")
        .withArgs(MAX_RATE_BPS + 1, MAX_RATE_BPS);
    });

    const badThresholds: [string, number, number, number][] = [
      ["a zero substandard threshold", 0, 270, 360],
      ["doubtful equal to substandard", 90, 90, 360],
      ["doubtful below substandard", 90, 89, 360],
      ["loss equal to doubtful", 90, 270, 270],
      ["loss below doubtful", 90, 270, 269],
    ];
    for (const [label, s, d, l] of badThresholds) {
      it(`refuses thresholds with ${label}`, async function () {
        const { ledger, lender } = await loadFixture(policyFixture);
        const p = { ...TEST_POLICY, substandardAfterDays: s, doubtfulAfterDays: d, lossAfterDays: l };
        await expect(ledger.connect(lender).setPolicy(p)).to.be.revertedWithCustomError(ledger, "LoanLedgerInvalidThresholds").withArgs(s, d, l);
      });
    }

    it("refuses defaultAfterDays 0", async function () {
      const { ledger, lender } = await loadFixture(policyFixture);
      await expect(ledger.connect(lender).setPolicy({ ...TEST_POLICY, defaultAfterDays: 0 }))
        .to.be.revertedWithCustomError(ledger, "LoanLedgerInvalidDefaultAfterDays")
        .withArgs(0);
    });

    const badOffsets: [string, number[], number][] = [
      ["16 offsets (index = 15, the maximum)", Array.from({ length: 16 }, (_, k) => k), 15],
      ["an offset equal to the previous one", [-3, 1, 1, 7], 2],
      ["an offset below the previous one", [-3, 7, 1], 2],
      ["an offset below -365", [-366, 1], 0],
      ["an offset above 3,650", [-3, 1, 3_651], 2],
    ];
    for (const [label, offsets, index] of badOffsets) {
      it(`refuses reminder offsets with ${label}`, async function () {
        const { ledger, lender } = await loadFixture(policyFixture);
        await expect(ledger.connect(lender).setPolicy({ ...TEST_POLICY, reminderOffsetsDays: offsets }))
          .to.be.revertedWithCustomError(ledger, "LoanLedgerInvalidReminderOffsets")
          .withArgs(index);
      });
    }

    it("policy() reverts with LoanLedgerUnknownPolicy for an id not yet published", async function () {
      const { ledger } = await loadFixture(policyFixture);
      await expect(ledger.policy(3)).to.be.revertedWithCustomError(ledger, "LoanLedgerUnknownPolicy").withArgs(3);
    });
  });

  describe("setMaxAnnualRate", function () {
    it("emits MaxAnnualRateSet with the previous and new cap", async function () {
      const { ledger, admin } = await loadFixture(policyFixture);
      await expect(ledger.connect(admin).setMaxAnnualRate(3_000)).to.emit(ledger, "MaxAnnualRateSet").withArgs(MAX_RATE_BPS, 3_000);
      expect(await ledger.maxAnnualRateBps()).to.equal(3_000n);
    });

    it("refuses a zero cap, and so does the constructor", async function () {
      const { ledger, admin } = await loadFixture(policyFixture);
      await expect(ledger.connect(admin).setMaxAnnualRate(0)).to.be.revertedWithCustomError(ledger, "LoanLedgerInvalidMaxRate").withArgs(0);
      const factory = await ethers.getContractFactory("LoanLedger");
      await expect(factory.deploy(admin.address, 0)).to.be.revertedWithCustomError(factory, "LoanLedgerInvalidMaxRate").withArgs(0);
    });

    it("applies to later registrations and policies; loans already registered keep their cap room", async function () {
      const { ledger, admin, lender, borrower, tokenAddress } = await loadFixture(policyFixture);
      const params = await tokenLoanParams(borrower.address, tokenAddress, { rateBps: 600 });
      await ledger.connect(lender).registerLoan(params);
      await ledger.connect(admin).setMaxAnnualRate(2_000);
      // 600 + 1,800 = 2,400 > 2,000 now.
      await expect(ledger.connect(lender).registerLoan(params))
        .to.be.revertedWithCustomError(ledger, "LoanLedgerRateAboveCap")
        .withArgs(600, 1_800, 2_000);
      await expect(ledger.connect(lender).setPolicy(TEST_POLICY)).to.not.be.reverted;
      await expect(ledger.connect(lender).setPolicy({ ...TEST_POLICY, penaltyRateBps: 2_001 }))
        .to.be.revertedWithCustomError(ledger, "LoanLedgerPenaltyRateAboveCap")
        .withArgs(2_001, 2_000);
      await ledger.connect(lender).registerLoan({ ...params, contractRateBps: 200 });
      expect((await ledger.loanTerms(1n)).penalty.capRoomBps).to.equal(1_800n); // 2,400 - 600
      expect((await ledger.loanTerms(2n)).penalty.capRoomBps).to.equal(1_800n); // 2,000 - 200
      expect((await ledger.loanTerms(2n)).contractRateBps).to.equal(200n);
    });
  });

  describe("setCollectionStrategy", function () {
    it("records the strategy hash with the lender's policy in force, emitting CollectionStrategySet; a later one replaces it", async function () {
      const { ledger, lender, otherLender } = await loadFixture(policyFixture);
      const [first, second] = [ethers.id("strategy v1"), ethers.id("strategy v2")];
      expect(await ledger.collectionStrategyOf(lender.address)).to.equal(ethers.ZeroHash);
      await expect(ledger.connect(lender).setCollectionStrategy(first)).to.emit(ledger, "CollectionStrategySet").withArgs(lender.address, 1n, first);
      await ledger.connect(lender).setPolicy(TEST_POLICY);
      const policyId = await ledger.currentPolicyOf(lender.address);
      expect(policyId).to.equal(3n); // the fixture published 1 and 2
      await expect(ledger.connect(lender).setCollectionStrategy(second)).to.emit(ledger, "CollectionStrategySet").withArgs(lender.address, policyId, second);
      expect(await ledger.collectionStrategyOf(lender.address)).to.equal(second);
      expect(await ledger.collectionStrategyOf(otherLender.address)).to.equal(ethers.ZeroHash);
    });

    it("refuses a zero hash", async function () {
      const { ledger, lender } = await loadFixture(policyFixture);
      await expect(ledger.connect(lender).setCollectionStrategy(ethers.ZeroHash)).to.be.revertedWithCustomError(ledger, "LoanLedgerZeroStrategyHash").withArgs();
    });
  });

  describe("setServicer", function () {
    it("allows and revokes a servicer for the calling lender only, emitting ServicerSet", async function () {
      const { ledger, lender, otherLender, stranger } = await loadFixture(policyFixture);
      await expect(ledger.connect(lender).setServicer(stranger.address, true)).to.emit(ledger, "ServicerSet").withArgs(lender.address, stranger.address, true);
      expect(await ledger.isServicer(lender.address, stranger.address)).to.equal(true);
      expect(await ledger.isServicer(otherLender.address, stranger.address)).to.equal(false);
      await expect(ledger.connect(lender).setServicer(stranger.address, false)).to.emit(ledger, "ServicerSet").withArgs(lender.address, stranger.address, false);
      expect(await ledger.isServicer(lender.address, stranger.address)).to.equal(false);
    });
  });
});
