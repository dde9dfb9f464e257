import { id, type Signer } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { LoanLedger, LoanRelief } from "../../typechain-types";
import type { Deployment } from "../../src/chain/deployments";
import { arrearsPlanTypedData, paymentHolidayTypedData, plainTypes } from "../../src/chain/typed-data";
import { HolidayInterest, HolidayPlacement } from "../../src/domain";

/** What the relief scene needs from the seed. */
export interface ReliefSceneParameters {
  dep: Deployment;
  ledger: LoanLedger;
  relief: LoanRelief;
  chainId: bigint;
  /** The lender that grants the holiday and the borrower (a real account) that signs it. */
  holiday: { lender: HardhatEthersSigner; borrower: HardhatEthersSigner; loanId: bigint };
  /** A loan far behind whose lender settles it for half of what is owed, received by bank transfer. */
  settlement: { lender: HardhatEthersSigner; loanId: bigint } | undefined;
  /** Loans whose borrowers can sign: the first in arrears (Active, no relief in force) agrees an arrears plan. */
  arrears: { lender: HardhatEthersSigner; candidates: { loanId: bigint; borrower: HardhatEthersSigner }[] };
  now(): Promise<bigint>;
  send(p: Promise<{ wait(): Promise<unknown> }>): Promise<unknown>;
}

/** The most DPD at which the demo's holiday lender still grants one. */
const DEMO_HOLIDAY_MAX_DPD = 60;

/**
 * The demo's relief (docs/ledger-rules.md, "Relief"): the borrower of `holiday.loanId` signs a payment
 * holiday deferring what is overdue plus the next two installments to the end of the schedule
 * (interest accrued), and its lender grants it, so the demo opens with the holiday in force; a
 * loan far behind is settled for half of what it owes, the lender attesting the bank transfer; and a
 * borrower in arrears agrees to repay them in three monthly parts (an arrears plan), the first due in 14 days.
 * A loan the rules do not allow a holiday for (defaulted, too far behind, nearly repaid) is left as it is.
 */
export async function seedRelief(p: ReliefSceneParameters): Promise<{ holiday: boolean; settlement: boolean; arrearsPlan: bigint | null }> {
  const { ledger, relief, send } = p;
  const done = { holiday: false, settlement: false, arrearsPlan: null as bigint | null };
  const h = p.holiday;
  await send(relief.connect(h.lender).setReliefPolicy(DEMO_HOLIDAY_MAX_DPD));
  const st = await ledger.loanState(h.loanId);
  if (Number(st.status) === 0 && !st.defaulted && st.dpd <= DEMO_HOLIDAY_MAX_DPD) {
    const terms = await ledger.loanTerms(h.loanId);
    const schedule = await ledger.scheduleOf(h.loanId, terms.version);
    const t = (await p.now()) + 1n;
    let overdue = 0;
    while (Number(st.cursor) + overdue < schedule.length && schedule[Number(st.cursor) + overdue]!.dueDate <= t) overdue++;
    const installments = Math.min(overdue + 2, schedule.length - Number(st.cursor));
    if (installments > overdue) {
      const deadline = t + 86_400n;
      const td = paymentHolidayTypedData({
        chainId: p.chainId,
        loanLedger: p.dep.loanLedger.address,
        loanId: h.loanId,
        version: Number(terms.version) + 1,
        installments,
        interest: HolidayInterest.Accrued,
        placement: HolidayPlacement.End,
        to: schedule[Number(st.cursor) + installments - 1]!.dueDate,
        nonce: await ledger["nonces(address,uint192)"](h.borrower.address, h.loanId),
        deadline,
      });
      const signature = await (h.borrower as unknown as Signer).signTypedData(td.domain as Record<string, unknown>, plainTypes(td.types), td.message);
      await send(relief.connect(h.lender).grantPaymentHoliday(h.loanId, { installments, interest: HolidayInterest.Accrued, placement: HolidayPlacement.End }, deadline, signature));
      done.holiday = true;
    }
  }
  const s = p.settlement;
  if (s) {
    const state = await ledger.loanState(s.loanId);
    const owed = state.outstandingPrincipal + state.outstandingInterest + state.penaltyOutstanding;
    if (owed > 1n) {
      const t = await p.now();
      await send(relief.connect(s.lender).offerSettlement(s.loanId, owed / 2n, t + 14n * 86_400n));
      await send(relief.connect(s.lender).recordSettlement(s.loanId, t + 1n, id("demo settlement: bank transfer 2027")));
      done.settlement = true;
    }
  }
  for (const c of p.arrears.candidates) {
    const st = await ledger.loanState(c.loanId);
    const [holidayFlagged] = await relief.holidayOf(c.loanId);
    const arrears = st.amountOverdue + st.penaltyOutstanding;
    if (Number(st.status) !== 0 || arrears === 0n || holidayFlagged || (await relief.arrearsPlanOf(c.loanId))[0]) continue;
    // Penalties change by the day: the plan is signed and created within the same day.
    const t = (await p.now()) + 1n;
    const third = arrears / 3n;
    const parts = [14n, 44n, 74n].map((d, i) => ({ dueDate: t + d * 86_400n, amount: i === 2 ? arrears - 2n * third : third }));
    const deadline = t + 86_400n;
    const td = arrearsPlanTypedData({
      chainId: p.chainId,
      loanLedger: p.dep.loanLedger.address,
      loanId: c.loanId,
      parts,
      nonce: await ledger["nonces(address,uint192)"](c.borrower.address, c.loanId),
      deadline,
    });
    const signature = await (c.borrower as unknown as Signer).signTypedData(td.domain as Record<string, unknown>, plainTypes(td.types), td.message);
    await send(relief.connect(p.arrears.lender).createArrearsPlan(c.loanId, parts, deadline, signature));
    done.arrearsPlan = c.loanId;
    break;
  }
  return done;
}
