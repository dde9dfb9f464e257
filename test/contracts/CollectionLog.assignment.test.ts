import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { Channel, Kind, collectionLogFixture } from "./helpers/collection";

describe("CollectionLog: collector assignment", function () {
  /** collectionLogFixture plus `newCollector`, assigned to nothing yet. */
  async function assignmentFixture() {
    const f = await collectionLogFixture();
    const newCollector = (await ethers.getSigners())[11];
    return { ...f, newCollector };
  }

  describe("assignCollector", function () {
    it("lets the loan's lender assign a collector and emits CollectorAssigned with the lender", async function () {
      const { log, lender, newCollector, loanId } = await loadFixture(assignmentFixture);
      expect(await log.isAssigned(loanId, newCollector.address)).to.equal(false);
      await expect(log.connect(lender).assignCollector([loanId], newCollector.address))
        .to.emit(log, "CollectorAssigned")
        .withArgs(loanId, newCollector.address, lender.address);
      expect(await log.isAssigned(loanId, newCollector.address)).to.equal(true);
    });

    it("assigns a batch of loans in one call, one event per loan", async function () {
      const { log, lender, newCollector, loanId, westLoanId, otherLoanId } = await loadFixture(assignmentFixture);
      const tx = log.connect(lender).assignCollector([loanId, westLoanId], newCollector.address);
      await expect(tx).to.emit(log, "CollectorAssigned").withArgs(loanId, newCollector.address, lender.address);
      await expect(tx).to.emit(log, "CollectorAssigned").withArgs(westLoanId, newCollector.address, lender.address);
      expect(await log.isAssigned(loanId, newCollector.address)).to.equal(true);
      expect(await log.isAssigned(westLoanId, newCollector.address)).to.equal(true);
      expect(await log.isAssigned(otherLoanId, newCollector.address)).to.equal(false);
    });

    it("lets every assigned collector of a loan record on it", async function () {
      const { log, lender, collector, newCollector, loanId } = await loadFixture(assignmentFixture);
      await log.connect(lender).assignCollector([loanId], newCollector.address);
      const now = BigInt(await time.latest());
      await log.connect(collector).recordAction(loanId, Channel.Sms, Kind.Note, 0, now, ethers.ZeroHash);
      await log.connect(newCollector).recordAction(loanId, Channel.Sms, Kind.Note, 0, now, ethers.ZeroHash);
      expect((await log.trailOf(loanId)).count).to.equal(2n);
    });

    it("refuses a collector already assigned to the loan", async function () {
      const { log, lender, collector, loanId } = await loadFixture(assignmentFixture);
      await expect(log.connect(lender).assignCollector([loanId], collector.address))
        .to.be.revertedWithCustomError(log, "CollectionLogAlreadyAssigned")
        .withArgs(loanId, collector.address);
    });

    it("refuses a batch that names the same loan twice, assigning nothing", async function () {
      const { log, lender, newCollector, loanId } = await loadFixture(assignmentFixture);
      await expect(log.connect(lender).assignCollector([loanId, loanId], newCollector.address))
        .to.be.revertedWithCustomError(log, "CollectionLogAlreadyAssigned")
        .withArgs(loanId, newCollector.address);
      expect(await log.isAssigned(loanId, newCollector.address)).to.equal(false);
    });

    it("refuses the zero collector", async function () {
      const { log, lender, loanId } = await loadFixture(assignmentFixture);
      await expect(log.connect(lender).assignCollector([loanId], ethers.ZeroAddress))
        .to.be.revertedWithCustomError(log, "CollectionLogInvalidCollector")
        .withArgs(ethers.ZeroAddress);
    });

    it("refuses another lender's loan", async function () {
      const { log, otherLender, newCollector, loanId } = await loadFixture(assignmentFixture);
      await expect(log.connect(otherLender).assignCollector([loanId], newCollector.address))
        .to.be.revertedWithCustomError(log, "CollectionLogNotLender")
        .withArgs(otherLender.address, loanId);
    });

    it("refuses a whole batch when one loan is another lender's, assigning none of it", async function () {
      const { log, lender, newCollector, loanId, otherLoanId } = await loadFixture(assignmentFixture);
      await expect(log.connect(lender).assignCollector([loanId, otherLoanId], newCollector.address))
        .to.be.revertedWithCustomError(log, "CollectionLogNotLender")
        .withArgs(lender.address, otherLoanId);
      expect(await log.isAssigned(loanId, newCollector.address)).to.equal(false);
    });

    it("refuses an unknown loan with the ledger's LoanLedgerUnknownLoan", async function () {
      const { log, ledger, lender, newCollector } = await loadFixture(assignmentFixture);
      await expect(log.connect(lender).assignCollector([99n], newCollector.address))
        .to.be.revertedWithCustomError(ledger, "LoanLedgerUnknownLoan")
        .withArgs(99n);
    });
  });

  describe("unassignCollector", function () {
    it("lets the lender unassign a collector and emits CollectorUnassigned with the lender", async function () {
      const { log, lender, collector, loanId, westLoanId } = await loadFixture(assignmentFixture);
      await expect(log.connect(lender).unassignCollector(loanId, collector.address))
        .to.emit(log, "CollectorUnassigned")
        .withArgs(loanId, collector.address, lender.address);
      expect(await log.isAssigned(loanId, collector.address)).to.equal(false);
      expect(await log.isAssigned(westLoanId, collector.address)).to.equal(true);
    });

    it("keeps the actions the collector recorded, and refuses its later ones", async function () {
      const { log, lender, collector, loanId } = await loadFixture(assignmentFixture);
      const now = BigInt(await time.latest());
      await log.connect(collector).recordAction(loanId, Channel.Sms, Kind.Note, 0, now, ethers.id("a"));
      const before = await log.trailOf(loanId);
      await log.connect(lender).unassignCollector(loanId, collector.address);
      expect(await log.trailOf(loanId)).to.deep.equal(before);
      await expect(log.connect(collector).recordAction(loanId, Channel.Sms, Kind.Note, 0, now, ethers.id("b")))
        .to.be.revertedWithCustomError(log, "CollectionLogNotAssigned")
        .withArgs(loanId, collector.address);
    });

    it("allows assigning the collector again afterwards", async function () {
      const { log, lender, unassignedCollector, loanId } = await loadFixture(assignmentFixture);
      await expect(log.connect(lender).assignCollector([loanId], unassignedCollector.address))
        .to.emit(log, "CollectorAssigned")
        .withArgs(loanId, unassignedCollector.address, lender.address);
      expect(await log.isAssigned(loanId, unassignedCollector.address)).to.equal(true);
    });

    it("refuses a collector that is not assigned to the loan", async function () {
      const { log, lender, unassignedCollector, collector, otherCollector, loanId } = await loadFixture(assignmentFixture);
      await expect(log.connect(lender).unassignCollector(loanId, unassignedCollector.address))
        .to.be.revertedWithCustomError(log, "CollectionLogNotAssigned")
        .withArgs(loanId, unassignedCollector.address);
      await expect(log.connect(lender).unassignCollector(loanId, otherCollector.address))
        .to.be.revertedWithCustomError(log, "CollectionLogNotAssigned")
        .withArgs(loanId, otherCollector.address);
      await log.connect(lender).unassignCollector(loanId, collector.address);
      await expect(log.connect(lender).unassignCollector(loanId, collector.address))
        .to.be.revertedWithCustomError(log, "CollectionLogNotAssigned")
        .withArgs(loanId, collector.address);
    });

    it("refuses another lender", async function () {
      const { log, otherLender, collector, loanId } = await loadFixture(assignmentFixture);
      await expect(log.connect(otherLender).unassignCollector(loanId, collector.address))
        .to.be.revertedWithCustomError(log, "CollectionLogNotLender")
        .withArgs(otherLender.address, loanId);
    });

    it("refuses an unknown loan with the ledger's LoanLedgerUnknownLoan", async function () {
      const { log, ledger, lender, collector } = await loadFixture(assignmentFixture);
      await expect(log.connect(lender).unassignCollector(99n, collector.address))
        .to.be.revertedWithCustomError(ledger, "LoanLedgerUnknownLoan")
        .withArgs(99n);
    });
  });
});
