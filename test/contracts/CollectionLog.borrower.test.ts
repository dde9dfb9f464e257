import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { Channel, Kind, collectionLogFixture } from "./helpers/collection";

describe("CollectionLog: borrower controls", function () {
  describe("restrictChannel and releaseChannel", function () {
    it("records a restriction per channel as a bit and emits ChannelRestricted", async function () {
      const { log, borrower, loanId, westLoanId } = await loadFixture(collectionLogFixture);
      expect(await log.restrictedChannels(loanId)).to.equal(0n);
      await expect(log.connect(borrower).restrictChannel(loanId, Channel.Sms)).to.emit(log, "ChannelRestricted").withArgs(loanId, Channel.Sms);
      expect(await log.restrictedChannels(loanId)).to.equal(0b10n);
      await log.connect(borrower).restrictChannel(loanId, Channel.Call);
      await log.connect(borrower).restrictChannel(loanId, Channel.Other);
      expect(await log.restrictedChannels(loanId)).to.equal(0b1000_0011n);
      // Per loan: the borrower's other loan is untouched.
      expect(await log.restrictedChannels(westLoanId)).to.equal(0n);
    });

    it("is idempotent: restricting a restricted channel keeps the bitmask and emits again", async function () {
      const { log, borrower, loanId } = await loadFixture(collectionLogFixture);
      await log.connect(borrower).restrictChannel(loanId, Channel.Visit);
      await expect(log.connect(borrower).restrictChannel(loanId, Channel.Visit)).to.emit(log, "ChannelRestricted").withArgs(loanId, Channel.Visit);
      expect(await log.restrictedChannels(loanId)).to.equal(1n << 5n);
    });

    it("releases one channel's bit and emits ChannelReleased, the others kept", async function () {
      const { log, borrower, loanId } = await loadFixture(collectionLogFixture);
      await log.connect(borrower).restrictChannel(loanId, Channel.Sms);
      await log.connect(borrower).restrictChannel(loanId, Channel.Email);
      await expect(log.connect(borrower).releaseChannel(loanId, Channel.Sms)).to.emit(log, "ChannelReleased").withArgs(loanId, Channel.Sms);
      expect(await log.restrictedChannels(loanId)).to.equal(0b100n);
      // Releasing a channel that is not restricted changes nothing.
      await expect(log.connect(borrower).releaseChannel(loanId, Channel.Call)).to.emit(log, "ChannelReleased").withArgs(loanId, Channel.Call);
      expect(await log.restrictedChannels(loanId)).to.equal(0b100n);
    });

    it("refuses channel 8 both ways", async function () {
      const { log, borrower, loanId } = await loadFixture(collectionLogFixture);
      await expect(log.connect(borrower).restrictChannel(loanId, 8)).to.be.revertedWithCustomError(log, "CollectionLogInvalidChannel").withArgs(8);
      await expect(log.connect(borrower).releaseChannel(loanId, 8)).to.be.revertedWithCustomError(log, "CollectionLogInvalidChannel").withArgs(8);
    });

    it("refuses anyone but the loan's borrower, and an unknown loan", async function () {
      const { log, ledger, lender, collector, borrower, stranger, loanId } = await loadFixture(collectionLogFixture);
      for (const who of [lender, collector, stranger]) {
        await expect(log.connect(who).restrictChannel(loanId, Channel.Sms))
          .to.be.revertedWithCustomError(log, "CollectionLogNotBorrower")
          .withArgs(who.address, loanId);
        await expect(log.connect(who).releaseChannel(loanId, Channel.Sms))
          .to.be.revertedWithCustomError(log, "CollectionLogNotBorrower")
          .withArgs(who.address, loanId);
      }
      await expect(log.connect(borrower).restrictChannel(99n, Channel.Sms)).to.be.revertedWithCustomError(ledger, "LoanLedgerUnknownLoan").withArgs(99n);
      await expect(log.connect(borrower).releaseChannel(99n, Channel.Sms)).to.be.revertedWithCustomError(ledger, "LoanLedgerUnknownLoan").withArgs(99n);
    });
  });

  describe("fileDispute and resolveDispute", function () {
    it("opens a dispute with DisputeFiled(loanId, borrower, evidenceHash)", async function () {
      const { log, borrower, loanId, westLoanId } = await loadFixture(collectionLogFixture);
      expect(await log.disputeOpen(loanId)).to.equal(false);
      await expect(log.connect(borrower).fileDispute(loanId, ethers.id("letter.pdf")))
        .to.emit(log, "DisputeFiled")
        .withArgs(loanId, borrower.address, ethers.id("letter.pdf"));
      expect(await log.disputeOpen(loanId)).to.equal(true);
      expect(await log.disputeOpen(westLoanId)).to.equal(false);
    });

    it("lets the lender close it with DisputeResolved(loanId, validationHash)", async function () {
      const { log, borrower, lender, loanId } = await loadFixture(collectionLogFixture);
      await log.connect(borrower).fileDispute(loanId, ethers.id("letter.pdf"));
      await expect(log.connect(lender).resolveDispute(loanId, ethers.id("validation.pdf")))
        .to.emit(log, "DisputeResolved")
        .withArgs(loanId, ethers.id("validation.pdf"));
      expect(await log.disputeOpen(loanId)).to.equal(false);
    });

    it("resolves a dispute a collector logged (Kind Dispute)", async function () {
      const { log, lender, collector, loanId } = await loadFixture(collectionLogFixture);
      const now = BigInt(await time.latest());
      await log.connect(collector).recordAction(loanId, Channel.Call, Kind.Dispute, 0, now, ethers.id("call"));
      expect(await log.disputeOpen(loanId)).to.equal(true);
      await expect(log.connect(lender).resolveDispute(loanId, ethers.id("validation"))).to.emit(log, "DisputeResolved");
      expect(await log.disputeOpen(loanId)).to.equal(false);
    });

    it("lets the borrower file again after a resolution, and again while open", async function () {
      const { log, borrower, lender, loanId } = await loadFixture(collectionLogFixture);
      await log.connect(borrower).fileDispute(loanId, ethers.id("1"));
      await expect(log.connect(borrower).fileDispute(loanId, ethers.id("2"))).to.emit(log, "DisputeFiled").withArgs(loanId, borrower.address, ethers.id("2"));
      await log.connect(lender).resolveDispute(loanId, ethers.id("v1"));
      await log.connect(borrower).fileDispute(loanId, ethers.id("3"));
      expect(await log.disputeOpen(loanId)).to.equal(true);
    });

    it("refuses to resolve when no dispute is open", async function () {
      const { log, borrower, lender, loanId } = await loadFixture(collectionLogFixture);
      await expect(log.connect(lender).resolveDispute(loanId, ethers.id("v"))).to.be.revertedWithCustomError(log, "CollectionLogNoOpenDispute").withArgs(loanId);
      await log.connect(borrower).fileDispute(loanId, ethers.id("1"));
      await log.connect(lender).resolveDispute(loanId, ethers.id("v"));
      await expect(log.connect(lender).resolveDispute(loanId, ethers.id("v"))).to.be.revertedWithCustomError(log, "CollectionLogNoOpenDispute").withArgs(loanId);
    });

    it("keeps restrictions when a dispute opens and closes (separate bits of one word)", async function () {
      const { log, borrower, lender, loanId } = await loadFixture(collectionLogFixture);
      await log.connect(borrower).restrictChannel(loanId, Channel.Other);
      await log.connect(borrower).fileDispute(loanId, ethers.id("1"));
      await log.connect(lender).resolveDispute(loanId, ethers.id("v"));
      expect(await log.restrictedChannels(loanId)).to.equal(0x80n);
      await log.connect(borrower).releaseChannel(loanId, Channel.Other);
      expect(await log.disputeOpen(loanId)).to.equal(false);
    });

    it("refuses a non-borrower filing, a non-lender resolving, and an unknown loan", async function () {
      const { log, ledger, borrower, lender, otherLender, collector, stranger, loanId } = await loadFixture(collectionLogFixture);
      for (const who of [lender, collector, stranger]) {
        await expect(log.connect(who).fileDispute(loanId, ethers.id("x")))
          .to.be.revertedWithCustomError(log, "CollectionLogNotBorrower")
          .withArgs(who.address, loanId);
      }
      await log.connect(borrower).fileDispute(loanId, ethers.id("1"));
      for (const who of [otherLender, borrower, collector, stranger]) {
        await expect(log.connect(who).resolveDispute(loanId, ethers.id("v")))
          .to.be.revertedWithCustomError(log, "CollectionLogNotLender")
          .withArgs(who.address, loanId);
      }
      await expect(log.connect(borrower).fileDispute(99n, ethers.id("x"))).to.be.revertedWithCustomError(ledger, "LoanLedgerUnknownLoan").withArgs(99n);
      await expect(log.connect(lender).resolveDispute(99n, ethers.id("v"))).to.be.revertedWithCustomError(ledger, "LoanLedgerUnknownLoan").withArgs(99n);
    });
  });
});
