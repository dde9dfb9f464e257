/**
 * LoanRelief: payment holidays and settlements, run at the ledger's address (docs/ledger-rules.md,
 * "Relief"). Worked on the waterfall loans: three installments of 1,000.00 principal + 20.00
 * interest, due 30, 60 and 90 days after registration; penalties 5 bps a day after 3 days' grace
 * plus a 1.00 late fee. test/contracts/LoanLedger.property.test.ts draws holidays and settlements
 * at random against src/domain/relief.ts.
 */
import { expect } from "chai";
import { ethers, artifacts } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { DAY, WATERFALL_INSTALLMENT, WATERFALL_INTEREST_PART, WATERFALL_PRINCIPAL_PART, waterfallLoansFixture, type WaterfallFixture } from "./helpers/fixtures";
import { reliefOf, signHoliday } from "./helpers/relief";
import { Classification, HolidayInterest, HolidayPlacement, LoanStatus } from "../../src/domain";

const P = WATERFALL_PRINCIPAL_PART;
const R = WATERFALL_INTEREST_PART;

async function fixture() {
  const f = await waterfallLoansFixture();
  return { ...f, relief: await reliefOf(f.ledger) };
}

type F = WaterfallFixture & Awaited<ReturnType<typeof fixture>>;

/** Grants a holiday on the token loan with the borrower's signature at block time `at`. */
async function grant(f: F, terms: { installments: number; interest: number; placement: number }, at?: bigint, loanId = f.tokenLoanId) {
  const deadline = (at ?? BigInt(await time.latest())) + DAY;
  const version = Number((await f.ledger.loanTerms(loanId)).version) + 1;
  const signature = await signHoliday(f.borrower, f.ledger, { loanId, version, ...terms, deadline });
  if (at !== undefined) await time.setNextBlockTimestamp(at);
  return f.relief.connect(f.lender).grantPaymentHoliday(loanId, terms, deadline, signature);
}

/** checkUpkeep's checkData for one loan id. */
const only = (loanId: bigint) => ethers.AbiCoder.defaultAbiCoder().encode(["uint256", "uint256"], [loanId, loanId]);

const asTuples = (s: readonly { dueDate: bigint; principal: bigint; interest: bigint }[]) => s.map((i) => [i.dueDate, i.principal, i.interest]);

describe("LoanRelief", function () {
  describe("the module", function () {
    it("has LoanLedger's storage layout, slot for slot (it runs on the ledger's storage)", async function () {
      const layout = async (name: string) => {
        const info = await artifacts.getBuildInfo(`contracts/${name}.sol:${name}`);
        const storage = (info!.output.contracts[`contracts/${name}.sol`]![name] as unknown as { storageLayout: { storage: { label: string; slot: string; offset: number; type: string }[] } }).storageLayout.storage;
        // Named types carry their AST id, which differs between compilations: dropped (an array's length stays).
        return storage.map((v) => `${v.slot}:${v.offset} ${v.label} ${v.type.replace(/(t_(?:struct|enum|userDefinedValueType|contract)\([^)]*\))\d+/g, "$1")}`);
      };
      const ledger = await layout("LoanLedger");
      expect(ledger.length, "the ledger has state").to.be.greaterThan(10);
      expect(await layout("LoanRelief")).to.deep.equal(ledger);
    });

    it("refuses to be called other than through the ledger", async function () {
      const [lender] = await ethers.getSigners();
      const module = await ethers.deployContract("LoanRelief");
      await expect(module.connect(lender).setReliefPolicy(10)).to.be.revertedWithCustomError(module, "LoanReliefDirectCall");
    });

    it("is reached at the ledger's address, and the ledger takes no ether", async function () {
      const f = await loadFixture(fixture);
      expect(await f.relief.reliefPolicyOf(f.lender.address)).to.equal(30);
      await expect(f.lender.sendTransaction({ to: await f.ledger.getAddress(), value: 1n })).to.be.reverted;
      await expect(f.lender.sendTransaction({ to: await f.ledger.getAddress(), data: "0x12345678" })).to.be.reverted;
    });
  });

  describe("setReliefPolicy", function () {
    it("sets the lender's holidayMaxDpd (the default, unset, is 30)", async function () {
      const f = await loadFixture(fixture);
      await expect(f.relief.connect(f.lender).setReliefPolicy(0)).to.emit(f.ledger, "ReliefPolicySet").withArgs(f.lender.address, 0);
      expect(await f.relief.reliefPolicyOf(f.lender.address)).to.equal(0);
      expect(await f.relief.reliefPolicyOf(f.otherLender.address)).to.equal(30);
    });

    it("needs LENDER_ROLE and an unpaused ledger", async function () {
      const f = await loadFixture(fixture);
      await expect(f.relief.connect(f.stranger).setReliefPolicy(10)).to.be.revertedWithCustomError(f.ledger, "AccessControlUnauthorizedAccount");
      await f.ledger.connect(f.admin).pause();
      await expect(f.relief.connect(f.lender).setReliefPolicy(10)).to.be.revertedWithCustomError(f.ledger, "EnforcedPause");
    });
  });

  describe("grantPaymentHoliday", function () {
    it("defers the next installments to the end (interest accrued): nothing due or emitted until the holiday ends", async function () {
      const f = await loadFixture(fixture);
      const [d0, d1, d2] = f.due;
      const at = d0 - 20n * DAY;
      // Installments 0 and 1 move after installment 2, one period (30 days) apart; the holiday ends
      // at installment 1's original due date.
      const expected = [
        [d2, P, R],
        [d2 + 30n * DAY, P, R],
        [d2 + 60n * DAY, P, R],
      ];
      const tx = grant(f, { installments: 2, interest: HolidayInterest.Accrued, placement: HolidayPlacement.End }, at);
      await expect(tx)
        .to.emit(f.ledger, "PaymentHolidayGranted")
        .withArgs(f.tokenLoanId, 2, at, d1, [2, 0, 0], [2n * P, 2n * R, 0n, 0n], expected);
      await expect(tx).not.to.emit(f.ledger, "ClassificationChanged");
      expect(asTuples(await f.ledger.scheduleOf(f.tokenLoanId, 2))).to.deep.equal(expected);
      expect(asTuples(await f.ledger.scheduleOf(f.tokenLoanId, 1))).to.deep.equal(asTuples(f.schedule.map((i) => ({ dueDate: BigInt(i.dueDate), principal: BigInt(i.principal), interest: BigInt(i.interest) }))));
      expect(await f.relief.holidayOf(f.tokenLoanId)).to.deep.equal([true, d1]);
      const terms = await f.ledger.loanTerms(f.tokenLoanId);
      expect([terms.version, terms.principal, terms.startedAt, terms.installmentCount]).to.deep.equal([2n, 3n * P, at, 3n]);

      // The last second of the holiday: installment 0's old due date is long past, but DPD is 0 and a poke has nothing to do.
      await time.increaseTo(d1 - 2n);
      expect(await f.ledger.daysPastDue(f.tokenLoanId)).to.equal(0);
      expect((await f.ledger.checkUpkeep(only(f.tokenLoanId)))[0]).to.equal(false);
      await time.setNextBlockTimestamp(d1 - 1n);
      const quiet = await (await f.ledger.poke([f.tokenLoanId])).wait();
      expect(quiet!.logs.map((l) => f.ledger.interface.parseLog(l)?.name), "a poke during the holiday emits nothing").to.deep.equal([]);
      // At its end the first poke closes it, and nothing else is due yet (the next due date is d2).
      await time.setNextBlockTimestamp(d1);
      const end = await (await f.ledger.poke([f.tokenLoanId])).wait();
      expect(end!.logs.map((l) => f.ledger.interface.parseLog(l)!.name)).to.deep.equal(["PaymentHolidayEnded"]);
      await expect(end!.hash).to.emit(f.ledger, "PaymentHolidayEnded").withArgs(f.tokenLoanId, d1);
      expect(await f.relief.holidayOf(f.tokenLoanId)).to.deep.equal([false, 0n]);
      // Reminders resume on the new schedule: -3 days before d2.
      await time.setNextBlockTimestamp(d2 - 3n * DAY);
      await expect(f.ledger.poke([f.tokenLoanId])).to.emit(f.ledger, "ReminderTriggered").withArgs(f.tokenLoanId, 0, 0, -3, d2, 0);
    });

    it("spreads overdue and future installments with their interest waived and penalties forgiven, and records Normal at once", async function () {
      const f = await loadFixture(fixture);
      const [d0, d1, d2] = f.due;
      await time.setNextBlockTimestamp(d0 + 5n * DAY);
      await f.ledger.poke([f.tokenLoanId]); // records SpecialMention at DPD 5
      const at = d0 + 6n * DAY;
      // Penalty at DPD 6, grace 3: 3 penalty days on 1,020.00 at 5 bps a day = 1.53, plus the 1.00 late fee.
      const penalty = (WATERFALL_INSTALLMENT * 3n) / 2_000n + 1_000_000n;
      expect(penalty).to.equal(2_530_000n);
      const tx = grant(f, { installments: 2, interest: HolidayInterest.Waived, placement: HolidayPlacement.Spread }, at);
      // Installments 0 and 1 (2,000.00 principal) go onto installment 2; their 40.00 interest is waived.
      await expect(tx)
        .to.emit(f.ledger, "PaymentHolidayGranted")
        .withArgs(f.tokenLoanId, 2, at, d1, [2, 2, 1], [2n * P, 2n * R, 2n * R, penalty], [[d2, 3n * P, R]]);
      await expect(tx).to.emit(f.ledger, "ClassificationChanged").withArgs(f.tokenLoanId, Classification.SpecialMention, Classification.Normal, 0);
      const s = await f.ledger.loanState(f.tokenLoanId);
      expect([s.dpd, s.penaltyOutstanding, s.outstandingPrincipal, s.outstandingInterest, s.classification]).to.deep.equal([0n, 0n, 3n * P, R, 0n]);
    });

    it("capitalises the deferred interest: it becomes principal", async function () {
      const f = await loadFixture(fixture);
      const [, d1, d2] = f.due;
      const tx = grant(f, { installments: 1, interest: HolidayInterest.Capitalised, placement: HolidayPlacement.End }, f.due[0] - DAY);
      await expect(tx)
        .to.emit(f.ledger, "PaymentHolidayGranted")
        .withArgs(f.tokenLoanId, 2, f.due[0] - DAY, f.due[0], [1, 1, 0], [P, R, 0n, 0n], [
          [d1, P, R],
          [d2, P, R],
          [d2 + 30n * DAY, P + R, 0n],
        ]);
      expect((await f.ledger.loanTerms(f.tokenLoanId)).principal).to.equal(3n * P + R);
    });

    it("defers the unpaid rest of a partly paid installment (interest was paid first)", async function () {
      const f = await loadFixture(fixture);
      await f.ledger.connect(f.borrower).repay(f.tokenLoanId, R + 100n); // the interest and 100 units of principal
      const tx = grant(f, { installments: 1, interest: HolidayInterest.Accrued, placement: HolidayPlacement.End }, f.due[0] - DAY);
      await expect(tx)
        .to.emit(f.ledger, "PaymentHolidayGranted")
        .withArgs(f.tokenLoanId, 2, f.due[0] - DAY, f.due[0], [1, 0, 0], [P - 100n, 0n, 0n, 0n], [
          [f.due[1], P, R],
          [f.due[2], P, R],
          [f.due[2] + 30n * DAY, P - 100n, 0n],
        ]);
    });

    it("refuses a holiday that would hide a default or more DPD than the lender's policy allows", async function () {
      const f = await loadFixture(fixture);
      const terms = { installments: 2, interest: 0, placement: 0 };
      await f.relief.connect(f.lender).setReliefPolicy(5);
      await expect(grant(f, terms, f.due[0] + 6n * DAY))
        .to.be.revertedWithCustomError(f.ledger, "LoanLedgerHolidayDpdTooHigh")
        .withArgs(f.tokenLoanId, 6, 5);
      await time.increaseTo(f.due[0] + 92n * DAY);
      await f.ledger.poke([f.tokenLoanId]); // DPD 92 > defaultAfterDays 90
      await f.relief.connect(f.lender).setReliefPolicy(365);
      await expect(grant(f, terms)).to.be.revertedWithCustomError(f.ledger, "LoanLedgerLoanDefaulted").withArgs(f.tokenLoanId);
    });

    it("refuses a holiday once a default is due, before any poke has recorded it", async function () {
      const f = await loadFixture(fixture);
      await f.relief.connect(f.lender).setReliefPolicy(365);
      // DPD 91 > defaultAfterDays 90 on the fiat loan, never poked: no LoanDefaulted yet, and still refused.
      await time.increaseTo(f.due[0] + 91n * DAY);
      expect((await f.ledger.loanState(f.fiatLoanId)).defaulted).to.equal(false);
      await expect(grant(f, { installments: 3, interest: 0, placement: 0 }, undefined, f.fiatLoanId))
        .to.be.revertedWithCustomError(f.ledger, "LoanLedgerLoanDefaulted")
        .withArgs(f.fiatLoanId);
    });

    it("binds the consent to the installments deferred: a repayment after the signature invalidates it", async function () {
      const f = await loadFixture(fixture);
      const terms = { installments: 1, interest: 0, placement: 0 };
      const deadline = f.due[0];
      const signature = await signHoliday(f.borrower, f.ledger, { loanId: f.tokenLoanId, version: 2, ...terms, deadline });
      // Installment 0 is paid: the same terms would now defer installment 1, ending a month later.
      await f.ledger.connect(f.borrower).repay(f.tokenLoanId, WATERFALL_INSTALLMENT);
      await expect(f.relief.connect(f.lender).grantPaymentHoliday(f.tokenLoanId, terms, deadline, signature))
        .to.be.revertedWithCustomError(f.ledger, "LoanLedgerInvalidSignature")
        .withArgs(f.borrower.address);
    });

    it("refuses installment counts that do not fit, and a holiday with nothing left to defer into", async function () {
      const f = await loadFixture(fixture);
      const g = (installments: number, placement: number, at?: bigint) => grant(f, { installments, interest: 0, placement }, at);
      await expect(g(0, 0)).to.be.revertedWithCustomError(f.ledger, "LoanLedgerInvalidHolidayInstallments").withArgs(0, 3);
      await expect(g(4, 0)).to.be.revertedWithCustomError(f.ledger, "LoanLedgerInvalidHolidayInstallments").withArgs(4, 3);
      await expect(g(3, 1)).to.be.revertedWithCustomError(f.ledger, "LoanLedgerInvalidHolidayInstallments").withArgs(3, 3);
      // DPD 2: deferring only the overdue installment is no holiday.
      await expect(g(1, 0, f.due[0] + 2n * DAY)).to.be.revertedWithCustomError(f.ledger, "LoanLedgerHolidayInPast").withArgs(f.due[0]);
      // All three at the end: allowed, the new schedule starts one period after the old last.
      await expect(g(3, 0)).to.emit(f.ledger, "PaymentHolidayGranted");
    });

    it("refuses a second holiday, and a restructuring, until a poke has closed the first", async function () {
      const f = await loadFixture(fixture);
      await grant(f, { installments: 1, interest: 0, placement: 0 });
      await expect(grant(f, { installments: 1, interest: 0, placement: 0 }))
        .to.be.revertedWithCustomError(f.ledger, "LoanLedgerHolidayInForce")
        .withArgs(f.tokenLoanId, f.due[0]);
      const schedule = [{ dueDate: f.due[2] + DAY, principal: 3n * P, interest: 0n }];
      await f.ledger.connect(f.lender).proposeRestructure(f.tokenLoanId, schedule);
      await expect(f.ledger.connect(f.borrower).acceptRestructure(f.tokenLoanId, schedule))
        .to.be.revertedWithCustomError(f.ledger, "LoanLedgerHolidayInForce")
        .withArgs(f.tokenLoanId, f.due[0]);
      await time.increaseTo(f.due[0]);
      await f.ledger.poke([f.tokenLoanId]);
      await expect(f.ledger.connect(f.borrower).acceptRestructure(f.tokenLoanId, schedule)).to.emit(f.ledger, "LoanRestructured");
    });

    it("needs the lender, an Active loan, an unpaused ledger and the borrower's fresh signature before the deadline", async function () {
      const f = await loadFixture(fixture);
      const terms = { installments: 1, interest: 0, placement: 0 };
      const now = BigInt(await time.latest());
      const deadline = now + DAY;
      const sig = await signHoliday(f.borrower, f.ledger, { loanId: f.tokenLoanId, version: 2, ...terms, deadline });
      await expect(f.relief.connect(f.otherLender).grantPaymentHoliday(f.tokenLoanId, terms, deadline, sig))
        .to.be.revertedWithCustomError(f.ledger, "LoanLedgerNotLender")
        .withArgs(f.otherLender.address, f.tokenLoanId);
      const strangers = await signHoliday(f.stranger, f.ledger, { loanId: f.tokenLoanId, version: 2, ...terms, deadline, nonce: await f.ledger["nonces(address,uint192)"](f.borrower.address, f.tokenLoanId) });
      await expect(f.relief.connect(f.lender).grantPaymentHoliday(f.tokenLoanId, terms, deadline, strangers))
        .to.be.revertedWithCustomError(f.ledger, "LoanLedgerInvalidSignature")
        .withArgs(f.borrower.address);
      // Signed for other terms.
      await expect(f.relief.connect(f.lender).grantPaymentHoliday(f.tokenLoanId, { ...terms, interest: 2 }, deadline, sig)).to.be.revertedWithCustomError(
        f.ledger,
        "LoanLedgerInvalidSignature",
      );
      await f.ledger.connect(f.admin).pause();
      await expect(f.relief.connect(f.lender).grantPaymentHoliday(f.tokenLoanId, terms, deadline, sig)).to.be.revertedWithCustomError(f.ledger, "EnforcedPause");
      await f.ledger.connect(f.admin).unpause();
      await time.setNextBlockTimestamp(deadline + 1n);
      await expect(f.relief.connect(f.lender).grantPaymentHoliday(f.tokenLoanId, terms, deadline, sig))
        .to.be.revertedWithCustomError(f.ledger, "LoanLedgerExpiredSignature")
        .withArgs(deadline);
      // A used signature does not replay (the per-loan nonce moved on).
      const fresh = await signHoliday(f.borrower, f.ledger, { loanId: f.tokenLoanId, version: 2, ...terms, deadline: f.due[1] });
      await f.relief.connect(f.lender).grantPaymentHoliday(f.tokenLoanId, terms, f.due[1], fresh);
      await time.increaseTo(f.due[0]);
      await f.ledger.poke([f.tokenLoanId]);
      await expect(f.relief.connect(f.lender).grantPaymentHoliday(f.tokenLoanId, terms, f.due[1], fresh)).to.be.revertedWithCustomError(
        f.ledger,
        "LoanLedgerInvalidSignature",
      );
      await f.ledger.connect(f.lender).chargeOff(f.tokenLoanId);
      await expect(grant(f, terms)).to.be.revertedWithCustomError(f.ledger, "LoanLedgerLoanNotActive").withArgs(f.tokenLoanId, LoanStatus.ChargedOff);
    });
  });

  describe("settlements", function () {
    it("offers a settlement with the owed figures; paying it ends the loan as Settled with the rest forgiven", async function () {
      const f = await loadFixture(fixture);
      const owed = 3n * WATERFALL_INSTALLMENT;
      const deadline = f.due[0];
      const amount = 2_000_000_000n;
      await expect(f.relief.connect(f.lender).offerSettlement(f.tokenLoanId, amount, deadline))
        .to.emit(f.ledger, "SettlementOffered")
        .withArgs(f.tokenLoanId, amount, deadline, 3n * P, 3n * R, 0n);
      expect(await f.relief.settlementOffer(f.tokenLoanId)).to.deep.equal([amount, deadline]);
      const before = await f.token.balanceOf(f.lender.address);
      await time.setNextBlockTimestamp(deadline);
      const tx = f.relief.connect(f.borrower).settle(f.tokenLoanId);
      // 2,000.00 pays the 60.00 interest first, then 1,940.00 of principal; 1,060.00 of principal is forgiven.
      await expect(tx)
        .to.emit(f.ledger, "LoanSettled")
        .withArgs(f.tokenLoanId, f.borrower.address, amount, [0n, 3n * R, amount - 3n * R, 0n, 0n, owed - amount], deadline, ethers.ZeroHash, false);
      expect((await f.token.balanceOf(f.lender.address)) - before).to.equal(amount);
      const s = await f.ledger.loanState(f.tokenLoanId);
      expect([s.status, s.dpd, s.outstandingPrincipal, s.outstandingInterest, s.amountOverdue]).to.deep.equal([BigInt(LoanStatus.Settled), 0n, 0n, 0n, 0n]);
      expect(await f.relief.settlementOffer(f.tokenLoanId)).to.deep.equal([0n, 0n]);
      await expect(f.ledger.connect(f.borrower).repay(f.tokenLoanId, 1n))
        .to.be.revertedWithCustomError(f.ledger, "LoanLedgerLoanNotOpen")
        .withArgs(f.tokenLoanId, LoanStatus.Settled);
      await expect(f.relief.connect(f.borrower).settle(f.tokenLoanId)).to.be.revertedWithCustomError(f.ledger, "LoanLedgerNoSettlementOffer");
      await time.increaseTo(f.due[2] + 100n * DAY);
      expect((await f.ledger.checkUpkeep(only(f.tokenLoanId)))[0], "a settled loan is never poked").to.equal(false);
    });

    it("pays penalties first when some are owed", async function () {
      const f = await loadFixture(fixture);
      const at = f.due[0] + 6n * DAY;
      await time.setNextBlockTimestamp(at);
      const penalty = (WATERFALL_INSTALLMENT * 3n) / 2_000n + 1_000_000n; // 2.53, as above
      await expect(f.relief.connect(f.lender).offerSettlement(f.tokenLoanId, 1_000_000n, at + 1n))
        .to.emit(f.ledger, "SettlementOffered")
        .withArgs(f.tokenLoanId, 1_000_000n, at + 1n, 3n * P, 3n * R, penalty);
      await time.setNextBlockTimestamp(at + 1n);
      await expect(f.relief.connect(f.borrower).settle(f.tokenLoanId))
        .to.emit(f.ledger, "LoanSettled")
        .withArgs(f.tokenLoanId, f.borrower.address, 1_000_000n, [1_000_000n, 0n, 0n, penalty - 1_000_000n, 3n * R, 3n * P], at + 1n, ethers.ZeroHash, false);
    });

    it("the lender attests a settlement received off chain before the deadline, even after it", async function () {
      const f = await loadFixture(fixture);
      const deadline = f.due[0];
      await f.relief.connect(f.lender).offerSettlement(f.fiatLoanId, 100n, deadline);
      await time.increaseTo(deadline + DAY);
      const bankRef = ethers.id("bank:settlement");
      await expect(f.relief.connect(f.lender).recordSettlement(f.fiatLoanId, deadline + 1n, bankRef))
        .to.be.revertedWithCustomError(f.ledger, "LoanLedgerSettlementExpired")
        .withArgs(f.fiatLoanId, deadline);
      await expect(f.relief.connect(f.servicer).recordSettlement(f.fiatLoanId, deadline, bankRef))
        .to.be.revertedWithCustomError(f.ledger, "LoanLedgerNotLender")
        .withArgs(f.servicer.address, f.fiatLoanId);
      await expect(f.relief.connect(f.lender).recordSettlement(f.fiatLoanId, deadline, bankRef))
        .to.emit(f.ledger, "LoanSettled")
        .withArgs(f.fiatLoanId, f.lender.address, 100n, [0n, 100n, 0n, 0n, 3n * R - 100n, 3n * P], deadline, bankRef, true);
    });

    it("an expired offer changes nothing; a new offer replaces the old", async function () {
      const f = await loadFixture(fixture);
      const deadline = f.due[0];
      await f.relief.connect(f.lender).offerSettlement(f.tokenLoanId, 100n, deadline);
      await time.setNextBlockTimestamp(deadline + 1n);
      await expect(f.relief.connect(f.borrower).settle(f.tokenLoanId))
        .to.be.revertedWithCustomError(f.ledger, "LoanLedgerSettlementExpired")
        .withArgs(f.tokenLoanId, deadline);
      expect((await f.ledger.loanState(f.tokenLoanId)).status).to.equal(LoanStatus.Active);
      await f.relief.connect(f.lender).offerSettlement(f.tokenLoanId, 200n, deadline + 10n * DAY);
      expect(await f.relief.settlementOffer(f.tokenLoanId)).to.deep.equal([200n, deadline + 10n * DAY]);
    });

    it("refuses offers at or above what is owed, past deadlines, other lenders' loans and ended loans", async function () {
      const f = await loadFixture(fixture);
      const owed = 3n * WATERFALL_INSTALLMENT;
      const deadline = f.due[0];
      const offer = (amount: bigint, d = deadline, who = f.lender, loanId = f.tokenLoanId) => f.relief.connect(who).offerSettlement(loanId, amount, d);
      await expect(offer(owed)).to.be.revertedWithCustomError(f.ledger, "LoanLedgerInvalidSettlementAmount").withArgs(owed, owed);
      await expect(offer(0n)).to.be.revertedWithCustomError(f.ledger, "LoanLedgerInvalidSettlementAmount").withArgs(0n, owed);
      await expect(offer(1n, 1n)).to.be.revertedWithCustomError(f.ledger, "LoanLedgerInvalidDeadline").withArgs(1n);
      await expect(offer(1n, deadline, f.otherLender)).to.be.revertedWithCustomError(f.ledger, "LoanLedgerNotLender");
      await f.relief.connect(f.lender).offerSettlement(f.tokenLoanId, owed - 1n, deadline);
      // Repaid down since the offer: the offer is no longer a discount, so it cannot be accepted.
      await f.ledger.connect(f.borrower).repay(f.tokenLoanId, WATERFALL_INSTALLMENT);
      await expect(f.relief.connect(f.borrower).settle(f.tokenLoanId))
        .to.be.revertedWithCustomError(f.ledger, "LoanLedgerInvalidSettlementAmount")
        .withArgs(owed - 1n, owed - WATERFALL_INSTALLMENT);
      await f.ledger.connect(f.lender).writeOff(f.tokenLoanId);
      await expect(offer(1n)).to.be.revertedWithCustomError(f.ledger, "LoanLedgerLoanNotOpen").withArgs(f.tokenLoanId, LoanStatus.WrittenOff);
    });

    it("refuses a fee-on-transfer token that delivers less than the settlement", async function () {
      const f = await loadFixture(fixture);
      const fee = await ethers.deployContract("FeeOnTransferERC20", [100]); // 1% burnt
      await fee.mint(f.borrower.address, 10n ** 12n);
      await fee.connect(f.borrower).approve(await f.ledger.getAddress(), ethers.MaxUint256);
      await f.ledger.connect(f.lender).registerLoan({ ...f.tokenParams, token: await fee.getAddress() });
      await f.relief.connect(f.lender).offerSettlement(3n, 1_000_000n, f.due[0]);
      await expect(f.relief.connect(f.borrower).settle(3n)).to.be.revertedWithCustomError(f.ledger, "LoanLedgerSettlementShortPaid").withArgs(990_000n, 1_000_000n);
    });
  });
});
