import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { DAY, WATERFALL_INSTALLMENT, tokenLoanParams, waterfallLoansFixture, type LoanParamsStruct } from "./helpers/fixtures";
import { ledgerEvents } from "./helpers/events";

const coder = ethers.AbiCoder.defaultAbiCoder();
const range = (from: bigint, to: bigint) => coder.encode(["uint256", "uint256"], [from, to]);
const ids = (list: bigint[]) => coder.encode(["uint256[]"], [list]);
const decodeIds = (performData: string): bigint[] => [...coder.decode(["uint256[]"], performData)[0]];

describe("LoanLedger: Chainlink Automation (checkUpkeep / performUpkeep)", function () {
  /** waterfallLoansFixture (loans 1 and 2 due at D1) plus loan 3, first due 100 days out. */
  async function automationFixture() {
    const f = await waterfallLoansFixture();
    await f.ledger.connect(f.lender).registerLoan(await tokenLoanParams(f.borrower.address, await f.token.getAddress(), { firstDueIn: 100n * DAY }));
    return f;
  }

  /** automationFixture plus 101 one-installment loans due at D1: 103 loans with reminders due at D1 - 3d. */
  async function crowdedFixture() {
    const f = await automationFixture();
    const one: LoanParamsStruct = {
      ...f.tokenParams,
      principal: 1_000n,
      schedule: [{ dueDate: f.due[0], principal: 1_000n, interest: 10n }],
    };
    await f.ledger.connect(f.lender).registerLoans(Array(50).fill(one));
    await f.ledger.connect(f.lender).registerLoans(Array(51).fill(one));
    return f;
  }

  async function check(f: Awaited<ReturnType<typeof automationFixture>>, checkData = "0x") {
    const [needed, performData] = await f.ledger.checkUpkeep(checkData);
    return { needed, performData, ids: decodeIds(performData) };
  }

  describe("checkUpkeep", function () {
    it("returns false and no ids when nothing is due", async function () {
      const f = await loadFixture(automationFixture);
      const r = await check(f);
      expect(r.needed).to.equal(false);
      expect(r.ids).to.deep.equal([]);
    });

    it("returns the loans with something due, and only those", async function () {
      const f = await loadFixture(automationFixture);
      await time.increaseTo(f.due[0] - 3n * DAY - 1n);
      expect((await check(f)).needed).to.equal(false);
      await time.increaseTo(f.due[0] - 3n * DAY);
      const r = await check(f);
      expect(r.needed).to.equal(true);
      expect(r.ids).to.deep.equal([1n, 2n]);
    });

    it("scans only [fromId, toId] when checkData is given, clamping toId to the last loan", async function () {
      const f = await loadFixture(automationFixture);
      await time.increaseTo(f.due[0] - 3n * DAY);
      expect((await check(f, range(2n, 3n))).ids).to.deep.equal([2n]);
      expect((await check(f, range(0n, 1_000n))).ids).to.deep.equal([1n, 2n]);
      const none = await check(f, range(3n, 3n));
      expect(none.needed).to.equal(false);
      expect(none.ids).to.deep.equal([]);
      expect((await check(f, range(2n, 1n))).needed).to.equal(false);
    });

    it("drops a loan once it is poked, written off or closed", async function () {
      const f = await loadFixture(automationFixture);
      await time.increaseTo(f.due[0] - 3n * DAY);
      await f.ledger.poke([1n]);
      expect((await check(f)).ids).to.deep.equal([2n]);
      await f.ledger.connect(f.lender).writeOff(2n);
      expect((await check(f)).needed).to.equal(false);
      // Loan 1 paid off: nothing due even when installment 0's +1 stage would have come.
      await f.ledger.connect(f.borrower).repay(1n, 3n * WATERFALL_INSTALLMENT);
      await time.increaseTo(f.due[0] + 2n * DAY);
      expect((await check(f)).needed).to.equal(false);
    });

    it("returns at most MAX_UPKEEP_BATCH (100) ids; the rest are found with checkData", async function () {
      const f = await loadFixture(crowdedFixture);
      expect(await f.ledger.MAX_UPKEEP_BATCH()).to.equal(100n);
      await time.increaseTo(f.due[0] - 3n * DAY);
      const expected = [1n, 2n, ...Array.from({ length: 98 }, (_, i) => BigInt(i + 4))]; // loan 3 is not due
      const first = await check(f);
      expect(first.ids).to.deep.equal(expected);
      expect((await check(f, range(102n, 200n))).ids).to.deep.equal([102n, 103n, 104n]);
    });
  });

  describe("performUpkeep", function () {
    it("pokes the loans checkUpkeep returned", async function () {
      const f = await loadFixture(automationFixture);
      await time.increaseTo(f.due[0] - 3n * DAY);
      const { performData } = await check(f);
      const tx = await f.ledger.connect(f.keeper).performUpkeep(performData);
      const reminders = await ledgerEvents(f.ledger, tx, ["ReminderTriggered"]);
      expect(reminders.map((e) => [e.args.loanId, e.args.stage])).to.deep.equal([
        [1n, 0n],
        [2n, 0n],
      ]);
      expect((await check(f)).needed).to.equal(false);
    });

    it("reverts stale data with LoanLedgerNothingToPoke", async function () {
      const f = await loadFixture(automationFixture);
      await time.increaseTo(f.due[0] - 3n * DAY);
      const { performData } = await check(f);
      await f.ledger.poke([1n, 2n]);
      await expect(f.ledger.connect(f.keeper).performUpkeep(performData)).to.be.revertedWithCustomError(f.ledger, "LoanLedgerNothingToPoke").withArgs();
    });

    it("reverts with LoanLedgerNothingToPoke when nothing was due in the first place", async function () {
      const f = await loadFixture(automationFixture);
      await expect(f.ledger.connect(f.keeper).performUpkeep(ids([1n, 2n, 3n]))).to.be.revertedWithCustomError(f.ledger, "LoanLedgerNothingToPoke").withArgs();
      await expect(f.ledger.connect(f.keeper).performUpkeep(ids([]))).to.be.revertedWithCustomError(f.ledger, "LoanLedgerNothingToPoke").withArgs();
    });

    it("skips loans no longer due, and ids that do not exist, and pokes the rest", async function () {
      const f = await loadFixture(automationFixture);
      await time.increaseTo(f.due[0] - 3n * DAY);
      const { performData } = await check(f);
      await f.ledger.poke([1n]);
      const tx = await f.ledger.connect(f.keeper).performUpkeep(performData);
      const events = await ledgerEvents(f.ledger, tx);
      expect(events.map((e) => [e.name, e.args.loanId])).to.deep.equal([["ReminderTriggered", 2n]]);
      await time.increaseTo(f.due[0] + DAY);
      // At D1 + 1d loan 1 owes stage 1 and a classification change; ids 0 and 99 are skipped.
      const unknown = await f.ledger.connect(f.keeper).performUpkeep(ids([0n, 99n, 1n]));
      expect((await ledgerEvents(f.ledger, unknown)).map((e) => [e.name, e.args.loanId])).to.deep.equal([
        ["ReminderTriggered", 1n],
        ["ClassificationChanged", 1n],
      ]);
      await expect(f.ledger.connect(f.keeper).performUpkeep(ids([0n, 99n]))).to.be.revertedWithCustomError(f.ledger, "LoanLedgerNothingToPoke").withArgs();
    });

    it("pokes a full batch of 100 loans within one transaction", async function () {
      const f = await loadFixture(crowdedFixture);
      await time.increaseTo(f.due[0] - 3n * DAY);
      const { performData } = await check(f);
      const receipt = await (await f.ledger.connect(f.keeper).performUpkeep(performData)).wait();
      const reminders = receipt!.logs.filter((log) => f.ledger.interface.parseLog(log)?.name === "ReminderTriggered");
      expect(reminders).to.have.length(100);
      expect((await check(f, range(102n, 200n))).ids).to.deep.equal([102n, 103n, 104n]);
      expect((await check(f, range(1n, 101n))).needed).to.equal(false);
    });
  });
});
