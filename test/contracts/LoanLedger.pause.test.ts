import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { anyValue } from "@nomicfoundation/hardhat-chai-matchers/withArgs";
import type { ContractTransactionResponse } from "ethers";
import { DAY, TEST_POLICY, WATERFALL_INSTALLMENT, tokenLoanParams, waterfallLoansFixture, type InstallmentStruct } from "./helpers/fixtures";
import { restructureNonce, signRestructure } from "./helpers/restructure";

describe("LoanLedger: pause", function () {
  /**
   * waterfallLoansFixture at D1 + 10d (both loans overdue, so pokes have work), a restructuring of
   * the token loan proposed, then paused by the admin.
   */
  async function pausedFixture() {
    const f = await waterfallLoansFixture();
    await time.increaseTo(f.due[0] + 10n * DAY);
    const start = f.due[0] + 10n * DAY;
    const schedule2: InstallmentStruct[] = [
      { dueDate: start + 30n * DAY, principal: 1_500_000_000n, interest: 0n },
      { dueDate: start + 60n * DAY, principal: 1_500_000_000n, interest: 0n },
    ];
    await f.ledger.connect(f.lender).proposeRestructure(f.tokenLoanId, schedule2);
    await expect(f.ledger.connect(f.admin).pause()).to.emit(f.ledger, "Paused").withArgs(f.admin.address);
    return { ...f, schedule2 };
  }
  type PausedFixture = Awaited<ReturnType<typeof pausedFixture>>;

  /** What pause stops, and the event each emits once unpaused. */
  const stopped: [string, (f: PausedFixture) => Promise<ContractTransactionResponse>, string][] = [
    ["registerLoan", async (f) => f.ledger.connect(f.lender).registerLoan(await tokenLoanParams(f.borrower.address, await f.token.getAddress())), "LoanRegistered"],
    ["registerLoans", async (f) => f.ledger.connect(f.lender).registerLoans([await tokenLoanParams(f.borrower.address, await f.token.getAddress())]), "LoanRegistered"],
    ["setPolicy", async (f) => f.ledger.connect(f.lender).setPolicy(TEST_POLICY), "PolicySet"],
    ["setServicer", async (f) => f.ledger.connect(f.lender).setServicer(f.stranger.address, true), "ServicerSet"],
    ["setCollectionStrategy", async (f) => f.ledger.connect(f.lender).setCollectionStrategy(ethers.id("strategy")), "CollectionStrategySet"],
    ["proposeRestructure", async (f) => f.ledger.connect(f.lender).proposeRestructure(f.tokenLoanId, f.schedule2), "RestructureProposed"],
    ["acceptRestructure", async (f) => f.ledger.connect(f.borrower).acceptRestructure(f.tokenLoanId, f.schedule2), "LoanRestructured"],
    [
      "restructureWithSignature",
      async (f) => {
        const deadline = BigInt(await time.latest()) + DAY;
        const nonce = await restructureNonce(f.ledger, f.borrower.address, f.tokenLoanId);
        const signature = await signRestructure(f.borrower, f.ledger, { loanId: f.tokenLoanId, version: 2n, schedule: f.schedule2, nonce, deadline });
        return f.ledger.connect(f.lender).restructureWithSignature(f.tokenLoanId, f.schedule2, deadline, signature);
      },
      "LoanRestructured",
    ],
    ["chargeOff", async (f) => f.ledger.connect(f.lender).chargeOff(f.tokenLoanId), "LoanChargedOff"],
    ["writeOff", async (f) => f.ledger.connect(f.lender).writeOff(f.tokenLoanId), "LoanWrittenOff"],
    ["poke", async (f) => f.ledger.connect(f.keeper).poke([f.tokenLoanId]), "ReminderTriggered"],
    [
      "performUpkeep",
      async (f) => f.ledger.connect(f.keeper).performUpkeep(ethers.AbiCoder.defaultAbiCoder().encode(["uint256[]"], [[f.tokenLoanId]])),
      "ReminderTriggered",
    ],
  ];

  for (const [name, call, event] of stopped) {
    it(`stops ${name} with EnforcedPause, and lets it through after unpause`, async function () {
      const f = await loadFixture(pausedFixture);
      await expect(call(f)).to.be.revertedWithCustomError(f.ledger, "EnforcedPause").withArgs();
      await expect(f.ledger.connect(f.admin).unpause()).to.emit(f.ledger, "Unpaused").withArgs(f.admin.address);
      await expect(call(f)).to.emit(f.ledger, event);
    });
  }

  it("never stops repay", async function () {
    const f = await loadFixture(pausedFixture);
    await expect(f.ledger.connect(f.borrower).repay(f.tokenLoanId, WATERFALL_INSTALLMENT)).to.emit(f.ledger, "LoanRepaid");
  });

  it("never stops a third party's repay either", async function () {
    const f = await loadFixture(pausedFixture);
    await expect(f.ledger.connect(f.stranger).repay(f.tokenLoanId, 1n)).to.emit(f.ledger, "LoanRepaid");
  });

  it("lets the lender record its own off-chain repayment", async function () {
    const f = await loadFixture(pausedFixture);
    const now = BigInt(await time.latest());
    await expect(f.ledger.connect(f.lender).recordRepayment(f.fiatLoanId, WATERFALL_INSTALLMENT, now, ethers.ZeroHash))
      .to.emit(f.ledger, "LoanRepaid")
      .withArgs(f.fiatLoanId, f.lender.address, WATERFALL_INSTALLMENT, anyValue, anyValue, anyValue, anyValue, now, ethers.ZeroHash, true, false);
  });

  // An emergency may be a compromised servicer: its attestations (which can close loans) must stop.
  it("stops a servicer's recordRepayment with EnforcedPause, and lets it through after unpause", async function () {
    const f = await loadFixture(pausedFixture);
    const now = BigInt(await time.latest());
    await expect(f.ledger.connect(f.servicer).recordRepayment(f.fiatLoanId, WATERFALL_INSTALLMENT, now, ethers.ZeroHash))
      .to.be.revertedWithCustomError(f.ledger, "EnforcedPause")
      .withArgs();
    await f.ledger.connect(f.admin).unpause();
    await expect(f.ledger.connect(f.servicer).recordRepayment(f.fiatLoanId, WATERFALL_INSTALLMENT, now, ethers.ZeroHash)).to.emit(f.ledger, "LoanRepaid");
  });

  it("lets the lender revoke a servicer (but not appoint one); the revoked servicer stays refused after unpause", async function () {
    const f = await loadFixture(pausedFixture);
    await expect(f.ledger.connect(f.lender).setServicer(f.servicer.address, false))
      .to.emit(f.ledger, "ServicerSet")
      .withArgs(f.lender.address, f.servicer.address, false);
    expect(await f.ledger.isServicer(f.lender.address, f.servicer.address)).to.equal(false);
    await expect(f.ledger.connect(f.lender).setServicer(f.servicer.address, true)).to.be.revertedWithCustomError(f.ledger, "EnforcedPause").withArgs();
    await f.ledger.connect(f.admin).unpause();
    const now = BigInt(await time.latest());
    await expect(f.ledger.connect(f.servicer).recordRepayment(f.fiatLoanId, 1n, now, ethers.ZeroHash))
      .to.be.revertedWithCustomError(f.ledger, "LoanLedgerNotLenderOrServicer")
      .withArgs(f.servicer.address, f.fiatLoanId);
  });

  it("refuses a stranger's recordRepayment as before (not a servicer), paused or not", async function () {
    const f = await loadFixture(pausedFixture);
    const now = BigInt(await time.latest());
    await expect(f.ledger.connect(f.stranger).recordRepayment(f.fiatLoanId, 1n, now, ethers.ZeroHash))
      .to.be.revertedWithCustomError(f.ledger, "LoanLedgerNotLenderOrServicer")
      .withArgs(f.stranger.address, f.fiatLoanId);
  });

  it("keeps the views answering", async function () {
    const f = await loadFixture(pausedFixture);
    expect(await f.ledger.paused()).to.equal(true);
    expect((await f.ledger.loanState(f.tokenLoanId)).dpd).to.equal(10n);
    expect((await f.ledger.loanTerms(f.tokenLoanId)).lender).to.equal(f.lender.address);
  });

  it("refuses to pause twice and to unpause when not paused", async function () {
    const f = await loadFixture(pausedFixture);
    await expect(f.ledger.connect(f.admin).pause()).to.be.revertedWithCustomError(f.ledger, "EnforcedPause").withArgs();
    await f.ledger.connect(f.admin).unpause();
    await expect(f.ledger.connect(f.admin).unpause()).to.be.revertedWithCustomError(f.ledger, "ExpectedPause").withArgs();
  });

  it("leaves the admin's own functions working", async function () {
    const f = await loadFixture(pausedFixture);
    await expect(f.ledger.connect(f.admin).setMaxAnnualRate(3_000)).to.emit(f.ledger, "MaxAnnualRateSet");
  });
});
