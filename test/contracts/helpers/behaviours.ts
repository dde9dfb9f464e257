import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { ContractTransactionResponse } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import {
  DAY,
  WATERFALL_INSTALLMENT,
  WATERFALL_INTEREST_PART,
  WATERFALL_PRINCIPAL_PART,
  waterfallLoansFixture,
  type WaterfallFixture,
} from "./fixtures";
import { ledgerEvents } from "./events";

/** A way of paying a waterfall loan: `repay` in its token, or `recordRepayment` of a CNY loan. */
export interface RepaymentChannel {
  /** Which loan of waterfallLoansFixture it pays. */
  loanId(f: WaterfallFixture): bigint;
  /** Who sends the transaction (LoanRepaid.payer). */
  payer(f: WaterfallFixture): HardhatEthersSigner;
  /** Pays `amount` in a transaction mined at `at` (also the paidAt of an off-chain record). */
  pay(f: WaterfallFixture, amount: bigint, at: bigint): Promise<ContractTransactionResponse>;
  bankRef: string;
  offChain: boolean;
}

export interface Breakdown {
  amount: bigint;
  penalty: bigint;
  interest: bigint;
  principal: bigint;
  cursor: number;
}

/** Asserts the LoanRepaid event of `tx`: every field, and amount = penalty + interest + principal. */
export async function expectRepaid(
  channel: RepaymentChannel,
  f: WaterfallFixture,
  tx: ContractTransactionResponse,
  b: Breakdown,
  at: bigint,
  recovery = false,
) {
  expect(b.penalty + b.interest + b.principal, "amount = penalty + interest + principal").to.equal(b.amount);
  await expect(tx)
    .to.emit(f.ledger, "LoanRepaid")
    .withArgs(channel.loanId(f), channel.payer(f).address, b.amount, b.penalty, b.interest, b.principal, b.cursor, at, channel.bankRef, channel.offChain, recovery);
  const [event] = await ledgerEvents(f.ledger, tx, ["LoanRepaid"]);
  expect(event.args.amount).to.equal(event.args.penalty + event.args.interest + event.args.principal);
}

/**
 * The repayment waterfall of docs/ledger-rules.md, the same through every channel. The figures use
 * waterfallLoansFixture: installments of 1,000.00 principal + 20.00 interest (A = 1,020.00) due
 * at D1, D2 = D1 + 30d, D3 = D1 + 60d; grace 3 days; per installment
 *   penalty = min(halfUp(U * 1,825 / 3,650,000) + 1.00, floor(U * 3,650 / 3,650,000))
 *           = min(halfUp(U / 2,000) + 1_000_000, floor(U / 1,000)),
 * where U = unpaid amount x penalty days (penalty days = days late - 3).
 */
export function shouldBehaveLikeWaterfallRepayment(channel: RepaymentChannel) {
  const A = WATERFALL_INSTALLMENT; // 1_020_000_000
  const I = WATERFALL_INTEREST_PART; // 20_000_000
  const P = WATERFALL_PRINCIPAL_PART; // 1_000_000_000

  async function state(f: WaterfallFixture) {
    return f.ledger.loanState(channel.loanId(f));
  }

  describe("waterfall (docs/ledger-rules.md)", function () {
    it("pays interest before principal within an installment", async function () {
      const f = await loadFixture(waterfallLoansFixture);
      const at = f.due[0] - 10n * DAY;
      // 520.00 on time: 20.00 interest, then 500.00 of principal; installment 0 stays the cursor.
      const tx = await channel.pay(f, 520_000_000n, at);
      await expectRepaid(channel, f, tx, { amount: 520_000_000n, penalty: 0n, interest: I, principal: 500_000_000n, cursor: 0 }, at);
      const s = await state(f);
      expect(s.cursor).to.equal(0n);
      expect(s.nextDueAmount).to.equal(500_000_000n);
      expect(s.outstandingPrincipal).to.equal(2_500_000_000n);
      expect(s.outstandingInterest).to.equal(2n * I);
    });

    it("applies a payment smaller than the interest to interest only, and the next one to the rest of it first", async function () {
      const f = await loadFixture(waterfallLoansFixture);
      const at = f.due[0] - 10n * DAY;
      const first = await channel.pay(f, 15_000_000n, at);
      await expectRepaid(channel, f, first, { amount: 15_000_000n, penalty: 0n, interest: 15_000_000n, principal: 0n, cursor: 0 }, at);
      // 10.00 more: the 5.00 of interest left, then 5.00 of principal.
      const second = await channel.pay(f, 10_000_000n, at + 1n);
      await expectRepaid(channel, f, second, { amount: 10_000_000n, penalty: 0n, interest: 5_000_000n, principal: 5_000_000n, cursor: 0 }, at + 1n);
      const s = await state(f);
      expect(s.outstandingInterest).to.equal(2n * I);
      expect(s.outstandingPrincipal).to.equal(2_995_000_000n);
      expect(s.nextDueAmount).to.equal(A - 25_000_000n);
    });

    it("prepays the next installment, interest then principal, once the current one is settled", async function () {
      const f = await loadFixture(waterfallLoansFixture);
      const at = f.due[0] - 10n * DAY;
      // 1,340.00 = installment 0 (20.00 + 1,000.00) + installment 1's 20.00 interest + 300.00 of its principal.
      const tx = await channel.pay(f, 1_340_000_000n, at);
      await expectRepaid(channel, f, tx, { amount: 1_340_000_000n, penalty: 0n, interest: 2n * I, principal: P + 300_000_000n, cursor: 1 }, at);
      const s = await state(f);
      expect(s.cursor).to.equal(1n);
      expect(s.nextDueDate).to.equal(f.due[1]);
      expect(s.nextDueAmount).to.equal(700_000_000n);
      expect(s.outstandingPrincipal).to.equal(1_700_000_000n);
      expect(s.outstandingInterest).to.equal(I);
      expect(s.status).to.equal(0n);
    });

    it("charges nothing within the grace period", async function () {
      const f = await loadFixture(waterfallLoansFixture);
      // D1 + 3d: 3 days late, 0 penalty days.
      const at = f.due[0] + 3n * DAY;
      await time.increaseTo(at);
      const before = await state(f);
      expect(before.dpd).to.equal(3n);
      expect(before.amountOverdue).to.equal(A);
      expect(before.penaltyOutstanding).to.equal(0n);
      const tx = await channel.pay(f, A, at + 1n);
      await expectRepaid(channel, f, tx, { amount: A, penalty: 0n, interest: I, principal: P, cursor: 1 }, at + 1n);
    });

    it("caps the penalty at the legal maximum, late fee included", async function () {
      const f = await loadFixture(waterfallLoansFixture);
      // D1 + 4d: 1 penalty day. U = 1,020,000,000 x 1; halfUp(U / 2,000) = 510,000, + fee 1,000,000 = 1,510,000;
      // cap floor(U / 1,000) = 1,020,000 wins, so the fee is cut to 510,000.
      const at = f.due[0] + 4n * DAY;
      await time.increaseTo(at);
      expect((await state(f)).penaltyOutstanding).to.equal(1_020_000n);
      const tx = await channel.pay(f, 1_020_000n, at + 1n);
      await expectRepaid(channel, f, tx, { amount: 1_020_000n, penalty: 1_020_000n, interest: 0n, principal: 0n, cursor: 0 }, at + 1n);
      expect((await state(f)).penaltyOutstanding).to.equal(0n);
    });

    it("pays penalty and fee first, then interest, then principal", async function () {
      const f = await loadFixture(waterfallLoansFixture);
      // D1 + 10d: 10 days late, 7 penalty days. U = 1,020,000,000 x 7 = 7,140,000,000;
      // halfUp(U / 2,000) = 3,570,000, + fee 1,000,000 = 4,570,000 < cap floor(U / 1,000) = 7,140,000.
      const at = f.due[0] + 10n * DAY;
      await time.increaseTo(at);
      const before = await state(f);
      expect(before.dpd).to.equal(10n);
      expect(before.penaltyOutstanding).to.equal(4_570_000n);
      expect(before.amountOverdue).to.equal(A);
      // 3.00 pays penalty only.
      const first = await channel.pay(f, 3_000_000n, at + 1n);
      await expectRepaid(channel, f, first, { amount: 3_000_000n, penalty: 3_000_000n, interest: 0n, principal: 0n, cursor: 0 }, at + 1n);
      expect((await state(f)).penaltyOutstanding).to.equal(1_570_000n);
      // 521.57 = the 1.57 of penalty left + 20.00 interest + 500.00 principal.
      const second = await channel.pay(f, 521_570_000n, at + 2n);
      await expectRepaid(channel, f, second, { amount: 521_570_000n, penalty: 1_570_000n, interest: I, principal: 500_000_000n, cursor: 0 }, at + 2n);
      const after = await state(f);
      expect(after.penaltyOutstanding).to.equal(0n);
      expect(after.nextDueAmount).to.equal(500_000_000n);
      expect(after.amountOverdue).to.equal(500_000_000n);
    });

    it("accrues the penalty on what is still unpaid after a partial payment", async function () {
      const f = await loadFixture(waterfallLoansFixture);
      // At D1 + 10d pay the whole 4,570,000 penalty, the interest and 500.00 of principal (see above).
      await channel.pay(f, 524_570_000n, f.due[0] + 10n * DAY);
      // At D1 + 20d (17 penalty days) the accumulator is the checkpoint 7,140,000,000 (7 days of 1,020.00)
      // plus 500,000,000 x 10 days = 12,140,000,000: halfUp(U / 2,000) = 6,070,000, + fee = 7,070,000
      // (cap 12,140,000); 4,570,000 was paid, so 2,500,000 is outstanding.
      await time.increaseTo(f.due[0] + 20n * DAY);
      const s = await state(f);
      expect(s.penaltyOutstanding).to.equal(2_500_000n);
      expect(s.dpd).to.equal(20n);
      expect(s.amountOverdue).to.equal(500_000_000n);
    });

    it("settles overdue installments oldest first, each with its own penalty", async function () {
      const f = await loadFixture(waterfallLoansFixture);
      await channel.pay(f, 524_570_000n, f.due[0] + 10n * DAY);
      // D2 + 5d = D1 + 35d.
      // Installment 0: 32 penalty days, U = 7,140,000,000 + 500,000,000 x 25 = 19,640,000,000:
      //   halfUp(U / 2,000) = 9,820,000 + fee 1,000,000 = 10,820,000 (cap 19,640,000); 4,570,000 paid -> 6,250,000.
      // Installment 1: 5 days late, 2 penalty days, U = 1,020,000,000 x 2 = 2,040,000,000:
      //   halfUp = 1,020,000 + fee 1,000,000 = 2,020,000 (cap 2,040,000).
      const at = f.due[1] + 5n * DAY;
      await time.increaseTo(at);
      const before = await state(f);
      expect(before.dpd).to.equal(35n);
      expect(before.penaltyOutstanding).to.equal(6_250_000n + 2_020_000n);
      expect(before.amountOverdue).to.equal(500_000_000n + A);
      // 628.27 = 6.25 penalty + 500.00 principal (installment 0), then 2.02 penalty + 20.00 interest + 100.00 principal.
      const tx = await channel.pay(f, 628_270_000n, at + 1n);
      await expectRepaid(channel, f, tx, { amount: 628_270_000n, penalty: 8_270_000n, interest: I, principal: 600_000_000n, cursor: 1 }, at + 1n);
      const after = await state(f);
      expect(after.cursor).to.equal(1n);
      expect(after.dpd).to.equal(5n);
      expect(after.penaltyOutstanding).to.equal(0n);
      expect(after.nextDueAmount).to.equal(900_000_000n);
      // The checkpoint moved onto installment 1 at D2 + 5d: base 2,040,000,000 at 2 days. At D2 + 9d (6 days)
      // U = 2,040,000,000 + 900,000,000 x 4 = 5,640,000,000: 2,820,000 + 1,000,000 = 3,820,000; 2,020,000 paid.
      await time.increaseTo(f.due[1] + 9n * DAY);
      expect((await state(f)).penaltyOutstanding).to.equal(1_800_000n);
    });

    it("refuses an overpayment with the excess, before any penalty", async function () {
      const f = await loadFixture(waterfallLoansFixture);
      // Payoff before D1: 3 x 1,020.00 = 3,060.00.
      await expect(channel.pay(f, 3n * A + 1n, f.due[0] - DAY))
        .to.be.revertedWithCustomError(f.ledger, "LoanLedgerOverpayment")
        .withArgs(channel.loanId(f), 1n);
      const s = await state(f);
      expect(s.cursor).to.equal(0n);
      expect(s.outstandingPrincipal).to.equal(3n * P);
    });

    it("refuses an overpayment with the excess beyond the payoff including penalties", async function () {
      const f = await loadFixture(waterfallLoansFixture);
      // At D1 + 10d the payoff is 3,060.00 + 4.57 penalty on installment 0.
      await expect(channel.pay(f, 3n * A + 4_570_000n + 5n, f.due[0] + 10n * DAY))
        .to.be.revertedWithCustomError(f.ledger, "LoanLedgerOverpayment")
        .withArgs(channel.loanId(f), 5n);
    });

    it("closes the loan on the exact payoff, emits LoanClosed, and refuses later payments", async function () {
      const f = await loadFixture(waterfallLoansFixture);
      const at = f.due[0] + 10n * DAY;
      const tx = await channel.pay(f, 3n * A + 4_570_000n, at);
      await expectRepaid(channel, f, tx, { amount: 3n * A + 4_570_000n, penalty: 4_570_000n, interest: 3n * I, principal: 3n * P, cursor: 3 }, at);
      await expect(tx).to.emit(f.ledger, "LoanClosed").withArgs(channel.loanId(f), at);
      const s = await state(f);
      expect(s.status).to.equal(3n); // Closed
      expect(s.cursor).to.equal(3n);
      expect(s.dpd).to.equal(0n);
      expect(s.outstandingPrincipal).to.equal(0n);
      expect(s.classification).to.equal(0n);
      await expect(channel.pay(f, 1n, at + 1n))
        .to.be.revertedWithCustomError(f.ledger, "LoanLedgerLoanNotOpen")
        .withArgs(channel.loanId(f), 3);
    });

    it("refuses a zero amount", async function () {
      const f = await loadFixture(waterfallLoansFixture);
      await expect(channel.pay(f, 0n, f.due[0] - DAY)).to.be.revertedWithCustomError(f.ledger, "LoanLedgerZeroAmount").withArgs();
    });
  });
}
