/**
 * LoanRelief: arrears plans, run at the ledger's address (docs/ledger-rules.md, "Relief"). Worked on
 * the waterfall loans: three installments of 1,000.00 principal + 20.00 interest, due 30, 60 and 90
 * days after registration; penalties 5 bps a day after 3 days' grace plus a 1.00 late fee; default
 * after 90 days. test/contracts/LoanLedger.property.test.ts draws plans at random against
 * src/domain/arrears.ts and arrears-plan.ts.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { DAY, WATERFALL_INSTALLMENT, waterfallLoansFixture, type WaterfallFixture } from "./helpers/fixtures";
import { restructureNonce, signRestructure } from "./helpers/restructure";
import { reliefOf, signArrearsPlan, signHoliday } from "./helpers/relief";
import { LoanStatus } from "../../src/domain";

async function fixture() {
  const f = await waterfallLoansFixture();
  return { ...f, relief: await reliefOf(f.ledger) };
}

type F = WaterfallFixture & Awaited<ReturnType<typeof fixture>>;
type Part = { dueDate: bigint; amount: bigint };

/** The arrears (amount overdue + penalty outstanding) at block time `at`, a block mined there first. */
async function arrearsAt(f: F, at: bigint, loanId = f.fiatLoanId): Promise<{ arrears: bigint; overdue: bigint; penalty: bigint }> {
  await time.increaseTo(at);
  const s = await f.ledger.loanState(loanId);
  return { arrears: s.amountOverdue + s.penaltyOutstanding, overdue: s.amountOverdue, penalty: s.penaltyOutstanding };
}

/** Creates a plan of `parts` on `loanId` with the borrower's signature, in the next block. */
async function create(f: F, parts: Part[], loanId = f.fiatLoanId, signer = f.borrower) {
  const deadline = BigInt(await time.latest()) + DAY;
  const signature = await signArrearsPlan(signer, f.ledger, { loanId, parts, deadline });
  return f.relief.connect(f.lender).createArrearsPlan(loanId, parts, deadline, signature);
}

/** The names of the ledger events a poke of `loanId` at `at` emits. */
async function pokeAt(f: F, at: bigint, loanId = f.fiatLoanId): Promise<string[]> {
  await time.setNextBlockTimestamp(at);
  const receipt = await (await f.ledger.poke([loanId])).wait();
  return receipt!.logs.map((l) => f.ledger.interface.parseLog(l)!.name);
}

const only = (loanId: bigint) => ethers.AbiCoder.defaultAbiCoder().encode(["uint256", "uint256"], [loanId, loanId]);
const asTuples = (parts: readonly Part[]) => parts.map((p) => [p.dueDate, p.amount]);

describe("LoanRelief: arrears plans", function () {
  it("splits the arrears into promised parts; kept parts are announced, nothing else while the plan stands, and the last completes it", async function () {
    const f = await loadFixture(fixture);
    const [d0, d1] = f.due;
    const at = d0 + 10n * DAY + 3_600n;
    const { arrears, overdue, penalty } = await arrearsAt(f, at);
    expect(overdue).to.equal(WATERFALL_INSTALLMENT);
    expect(penalty, "10 days late: 7 penalty days and the late fee").to.be.greaterThan(0n);
    // Part 0 at d0 + 20 days (half), part 1 at d0 + 40 days, after installment 1 falls due at d1 = d0 + 30 days.
    const half = arrears / 2n;
    const parts = [
      { dueDate: d0 + 20n * DAY, amount: half },
      { dueDate: d0 + 40n * DAY, amount: arrears - half },
    ];
    const tx = create(f, parts);
    // The catch-up poke first: reminders up to +7 days, the penalty, SpecialMention.
    const receipt = await (await tx).wait();
    const names = receipt!.logs.map((l) => f.ledger.interface.parseLog(l)!.name);
    expect(names.slice(-1)).to.deep.equal(["ArrearsPlanCreated"]);
    expect(names).to.include.members(["ReminderTriggered", "PenaltyAssessed", "ClassificationChanged"]);
    await expect(tx).to.emit(f.ledger, "ArrearsPlanCreated").withArgs(f.fiatLoanId, at + 1n, arrears, overdue, penalty, asTuples(parts));
    const [inForce, createdAt, next, paid, stored] = await f.relief.arrearsPlanOf(f.fiatLoanId);
    expect([inForce, createdAt, next, paid, asTuples(stored)]).to.deep.equal([true, at + 1n, 0n, 0n, asTuples(parts)]);

    // Part 0 paid a day early; on its date nothing but the kept part is emitted, though the loan is 20 days late.
    await time.setNextBlockTimestamp(d0 + 19n * DAY);
    await f.ledger.connect(f.lender).recordRepayment(f.fiatLoanId, half, d0 + 19n * DAY, ethers.id("part 0"));
    expect(await f.ledger.daysPastDue(f.fiatLoanId), "DPD still counts from the unpaid installment").to.equal(19n);
    expect((await f.ledger.checkUpkeep(only(f.fiatLoanId)))[0], "nothing to poke before the part's date").to.equal(false);
    await time.setNextBlockTimestamp(d0 + 20n * DAY);
    const kept = f.ledger.poke([f.fiatLoanId]);
    await expect(kept).to.emit(f.ledger, "ArrearsPartKept").withArgs(f.fiatLoanId, 0, parts[0]!.dueDate, half, half);
    expect((await (await kept).wait())!.logs).to.have.length(1);

    // Installment 1 falls due; the plan still stands, so the +1 and +7 day reminders wait.
    expect(await pokeAt(f, d1 + 8n * DAY)).to.deep.equal([]);
    // Part 1 requires the rest of the arrears plus installment 1, due since the creation.
    const required = arrears + WATERFALL_INSTALLMENT;
    await time.setNextBlockTimestamp(d0 + 39n * DAY);
    await f.ledger.connect(f.lender).recordRepayment(f.fiatLoanId, required - half, d0 + 39n * DAY, ethers.id("part 1"));
    await time.setNextBlockTimestamp(parts[1]!.dueDate);
    const done = f.ledger.poke([f.fiatLoanId]);
    await expect(done).to.emit(f.ledger, "ArrearsPartKept").withArgs(f.fiatLoanId, 1, parts[1]!.dueDate, required, required);
    await expect(done).to.emit(f.ledger, "ArrearsPlanCompleted").withArgs(f.fiatLoanId, required);
    expect((await f.relief.arrearsPlanOf(f.fiatLoanId))[0]).to.equal(false);
    // Penalties accrued during the plan stay owed (the waterfall paid them first): the loan is back on
    // its normal course with only that left of its arrears.
    const s = await f.ledger.loanState(f.fiatLoanId);
    const left = s.amountOverdue + s.penaltyOutstanding;
    expect(left > 0n && left < WATERFALL_INSTALLMENT / 50n, `what the plan did not cover: ${left}`).to.equal(true);
  });

  it("a missed part breaks the plan, and the same poke resumes the normal course", async function () {
    const f = await loadFixture(fixture);
    const [d0] = f.due;
    const at = d0 + 5n * DAY + 3_600n;
    const { arrears } = await arrearsAt(f, at);
    const parts = [
      { dueDate: d0 + 10n * DAY, amount: 100_000_000n },
      { dueDate: d0 + 20n * DAY, amount: arrears - 100_000_000n },
    ];
    await create(f, parts);
    await time.setNextBlockTimestamp(d0 + 9n * DAY);
    await f.ledger.connect(f.lender).recordRepayment(f.fiatLoanId, 99_999_999n, d0 + 9n * DAY, ethers.id("short"));
    await time.setNextBlockTimestamp(d0 + 10n * DAY);
    const tx = f.ledger.poke([f.fiatLoanId]);
    await expect(tx).to.emit(f.ledger, "ArrearsPlanBroken").withArgs(f.fiatLoanId, 0, parts[0]!.dueDate, 100_000_000n, 99_999_999n);
    const names = (await (await tx).wait())!.logs.map((l) => f.ledger.interface.parseLog(l)!.name);
    expect(names[0]).to.equal("ArrearsPlanBroken");
    // The +7 day reminder that waited, and the penalty, follow at once.
    expect(names.slice(1)).to.include.members(["ReminderTriggered", "PenaltyAssessed"]);
    expect((await f.relief.arrearsPlanOf(f.fiatLoanId))[0]).to.equal(false);
    // A new plan may be made once the old one has ended.
    const now = BigInt(await time.latest());
    const { arrears: again } = await arrearsAt(f, now + 60n);
    await expect(create(f, [{ dueDate: now + 30n * DAY, amount: again }])).to.emit(f.ledger, "ArrearsPlanCreated");
  });

  it("the catch-up poke records a default already due, so a plan never hides it", async function () {
    const f = await loadFixture(fixture);
    const at = f.due[0] + 95n * DAY + 3_600n;
    const { arrears } = await arrearsAt(f, at);
    const tx = create(f, [{ dueDate: at + 30n * DAY, amount: arrears }]);
    await expect(tx).to.emit(f.ledger, "LoanDefaulted");
    await expect(tx).to.emit(f.ledger, "ArrearsPlanCreated");
    expect((await f.ledger.loanState(f.fiatLoanId)).defaulted).to.equal(true);
  });

  it("refuses plans that do not add up to the arrears or are not dated after now and one another", async function () {
    const f = await loadFixture(fixture);
    const [d0] = f.due;
    await expect(create(f, [{ dueDate: d0 + DAY, amount: 1n }])).to.be.revertedWithCustomError(f.ledger, "LoanLedgerNoArrears").withArgs(f.fiatLoanId);
    const at = d0 + 10n * DAY + 3_600n;
    const { arrears } = await arrearsAt(f, at);
    const later = at + 10n * DAY;
    await expect(create(f, [])).to.be.revertedWithCustomError(f.ledger, "LoanLedgerInvalidArrearsPartCount").withArgs(0, 36);
    const many = Array.from({ length: 37 }, (_, i) => ({ dueDate: later + BigInt(i) * DAY, amount: 1n }));
    await expect(create(f, many)).to.be.revertedWithCustomError(f.ledger, "LoanLedgerInvalidArrearsPartCount").withArgs(37, 36);
    await expect(create(f, [{ dueDate: later, amount: arrears - 1n }]))
      .to.be.revertedWithCustomError(f.ledger, "LoanLedgerArrearsMismatch")
      .withArgs(arrears - 1n, arrears);
    await expect(create(f, [{ dueDate: later, amount: arrears + 1n }]))
      .to.be.revertedWithCustomError(f.ledger, "LoanLedgerArrearsMismatch")
      .withArgs(arrears + 1n, arrears);
    await expect(create(f, [{ dueDate: at, amount: arrears }]))
      .to.be.revertedWithCustomError(f.ledger, "LoanLedgerInvalidArrearsPartDate")
      .withArgs(0, at);
    const unordered = [
      { dueDate: later, amount: 1n },
      { dueDate: later, amount: arrears - 1n },
    ];
    await expect(create(f, unordered)).to.be.revertedWithCustomError(f.ledger, "LoanLedgerInvalidArrearsPartDate").withArgs(1, later);
    const empty = [
      { dueDate: later, amount: arrears },
      { dueDate: later + DAY, amount: 0n },
    ];
    await expect(create(f, empty)).to.be.revertedWithCustomError(f.ledger, "LoanLedgerEmptyArrearsPart").withArgs(1);
  });

  it("stands alone: no second plan, holiday or restructuring while it is in force; a settlement ends it", async function () {
    const f = await loadFixture(fixture);
    const [d0] = f.due;
    const at = d0 + 10n * DAY + 3_600n;
    const { arrears } = await arrearsAt(f, at, f.tokenLoanId);
    await create(f, [{ dueDate: at + 20n * DAY, amount: arrears }], f.tokenLoanId);
    const now = BigInt(await time.latest());
    const { arrears: same } = await arrearsAt(f, now + 10n, f.tokenLoanId);
    await expect(create(f, [{ dueDate: at + 20n * DAY, amount: same }], f.tokenLoanId))
      .to.be.revertedWithCustomError(f.ledger, "LoanLedgerArrearsPlanInForce")
      .withArgs(f.tokenLoanId);
    const deadline = BigInt(await time.latest()) + DAY;
    const terms = { installments: 1, interest: 0, placement: 0 };
    const holiday = await signHoliday(f.borrower, f.ledger, { loanId: f.tokenLoanId, version: 2, ...terms, deadline, to: f.due[0] });
    await expect(f.relief.connect(f.lender).grantPaymentHoliday(f.tokenLoanId, terms, deadline, holiday))
      .to.be.revertedWithCustomError(f.ledger, "LoanLedgerArrearsPlanInForce")
      .withArgs(f.tokenLoanId);
    const schedule = [{ dueDate: deadline + 30n * DAY, principal: 3n * 1_000_000_000n, interest: 0n }];
    const nonce = await restructureNonce(f.ledger, f.borrower.address, f.tokenLoanId);
    const restructure = await signRestructure(f.borrower, f.ledger, { loanId: f.tokenLoanId, version: 2n, schedule, nonce, deadline });
    await expect(f.ledger.connect(f.lender).restructureWithSignature(f.tokenLoanId, schedule, deadline, restructure))
      .to.be.revertedWithCustomError(f.ledger, "LoanLedgerArrearsPlanInForce")
      .withArgs(f.tokenLoanId);
    await f.relief.connect(f.lender).offerSettlement(f.tokenLoanId, 1_000_000_000n, deadline);
    await expect(f.relief.connect(f.borrower).settle(f.tokenLoanId)).to.emit(f.ledger, "LoanSettled");
    expect((await f.relief.arrearsPlanOf(f.tokenLoanId))[0]).to.equal(false);
    expect((await f.ledger.loanState(f.tokenLoanId)).status).to.equal(LoanStatus.Settled);
  });

  it("needs the lender, an Active loan, an unpaused ledger and the borrower's fresh signature before the deadline", async function () {
    const f = await loadFixture(fixture);
    const at = f.due[0] + 10n * DAY + 3_600n;
    const { arrears } = await arrearsAt(f, at);
    const parts = [{ dueDate: at + 20n * DAY, amount: arrears }];
    const deadline = at + DAY;
    const sig = await signArrearsPlan(f.borrower, f.ledger, { loanId: f.fiatLoanId, parts, deadline });
    await expect(f.relief.connect(f.otherLender).createArrearsPlan(f.fiatLoanId, parts, deadline, sig))
      .to.be.revertedWithCustomError(f.ledger, "LoanLedgerNotLender")
      .withArgs(f.otherLender.address, f.fiatLoanId);
    await expect(create(f, parts, f.fiatLoanId, f.stranger)).to.be.revertedWithCustomError(f.ledger, "LoanLedgerInvalidSignature").withArgs(f.borrower.address);
    // Signed for other parts.
    const other = [{ dueDate: at + 21n * DAY, amount: arrears }];
    await expect(f.relief.connect(f.lender).createArrearsPlan(f.fiatLoanId, other, deadline, sig)).to.be.revertedWithCustomError(f.ledger, "LoanLedgerInvalidSignature");
    await f.ledger.connect(f.admin).pause();
    await expect(f.relief.connect(f.lender).createArrearsPlan(f.fiatLoanId, parts, deadline, sig)).to.be.revertedWithCustomError(f.ledger, "EnforcedPause");
    await expect(f.relief.pokeUnderRelief(f.fiatLoanId), "the relief poke pauses with the ledger").to.be.revertedWithCustomError(f.ledger, "EnforcedPause");
    await f.ledger.connect(f.admin).unpause();
    await time.setNextBlockTimestamp(deadline + 1n);
    await expect(f.relief.connect(f.lender).createArrearsPlan(f.fiatLoanId, parts, deadline, sig))
      .to.be.revertedWithCustomError(f.ledger, "LoanLedgerExpiredSignature")
      .withArgs(deadline);
    await time.increaseTo(f.due[0] + 100n * DAY);
    await f.ledger.poke([f.fiatLoanId]);
    await f.ledger.connect(f.lender).chargeOff(f.fiatLoanId);
    await expect(create(f, parts)).to.be.revertedWithCustomError(f.ledger, "LoanLedgerLoanNotActive").withArgs(f.fiatLoanId, LoanStatus.ChargedOff);
  });

  it("pokeUnderRelief is a poke of one loan anyone may send; closed loans are refused", async function () {
    const f = await loadFixture(fixture);
    const at = f.due[0] + 10n * DAY + 3_600n;
    const { arrears } = await arrearsAt(f, at);
    await create(f, [{ dueDate: at + 5n * DAY, amount: arrears }]);
    await time.setNextBlockTimestamp(at + 5n * DAY);
    await expect(f.relief.connect(f.stranger).pokeUnderRelief(f.fiatLoanId))
      .to.emit(f.ledger, "ArrearsPlanBroken")
      .withArgs(f.fiatLoanId, 0, at + 5n * DAY, arrears, 0n);
    const payoff = await f.ledger.loanState(f.fiatLoanId);
    const owed = payoff.outstandingPrincipal + payoff.outstandingInterest + payoff.penaltyOutstanding;
    await time.setNextBlockTimestamp(at + 5n * DAY + 1n);
    await f.ledger.connect(f.lender).recordRepayment(f.fiatLoanId, owed, at + 5n * DAY + 1n, ethers.id("payoff"));
    await expect(f.relief.pokeUnderRelief(f.fiatLoanId)).to.be.revertedWithCustomError(f.ledger, "LoanLedgerLoanNotOpen").withArgs(f.fiatLoanId, LoanStatus.Closed);
  });
});
