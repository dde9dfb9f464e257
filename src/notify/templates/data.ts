/**
 * What a notice is rendered from: the loan's figures as the chain and the read model give them
 * (bigint minor units, chain-time seconds, the chain's installment index), never contact data.
 */
import type { ClassificationName } from "./format";

/**
 * The loan's money: an ISO 4217 code (settled off chain; minor-unit digits from Intl, i.e. CLDR's
 * ISO 4217 data: CNY 2, JPY 0, BHD 3), or an ERC-20 token with the symbol and decimals the caller
 * read from it.
 */
export type NoticeCurrency = { code: string } | { token: string; symbol: string; decimals: number };

/**
 * A notice's data. Amounts are bigint minor units; times chain seconds (bigint); `installment` is
 * the chain's index (0 first; shown 1-based). Each template needs some of the optional fields
 * (src/notify/templates/catalog.ts, `needs`).
 */
export interface NoticeData {
  loanId: bigint;
  /** The loan's reference as the lender and borrower know it (printed on every notice). */
  reference: string;
  currency: NoticeCurrency;
  /** The chain time the notice speaks at (its trigger's block time): a letter's date. */
  asOf: bigint;
  /** The lender's display name; the language's "your lender" when absent. */
  lenderName?: string;
  amountDue?: bigint;
  amountOverdue?: bigint;
  /** Default interest and late fees outstanding. */
  penalty?: bigint;
  promiseAmount?: bigint;
  /** A proposed schedule's total. */
  totalAmount?: bigint;
  dueDate?: bigint;
  promiseDueBy?: bigint;
  firstDueDate?: bigint;
  /** The demand letter's deadline; {@link DEMAND_PAY_WITHIN_DAYS} days after `asOf` when absent. */
  payBy?: bigint;
  dpd?: number;
  installment?: number;
  /** A reminder stage's offset from the due date, days (negative: before). */
  offsetDays?: number;
  classificationFrom?: number | ClassificationName;
  classificationTo?: number | ClassificationName;
  scheduleVersion?: number;
  installmentCount?: number;
  /** A settlement's amount (offered, or paid). */
  settlementAmount?: bigint;
  /** The last day a settlement offer can be taken up. */
  settlementDeadline?: bigint;
  /** What a settlement forgave: penalties, interest and principal. */
  forgivenAmount?: bigint;
  /** A payment holiday's end: nothing is due before it. */
  holidayEnd?: bigint;
  /** An arrears plan's number of parts. */
  partCount?: number;
  /** An arrears plan's first part (its confirmation), or what was short of the part missed (its end). */
  nextPartAmount?: bigint;
  /** That part's due date. */
  nextPartDate?: bigint;
}

/** Days a demand letter gives the borrower to pay when the caller sets no `payBy`. */
export const DEMAND_PAY_WITHIN_DAYS = 15;
