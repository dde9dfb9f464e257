/**
 * What a notice says, gathered from the indexed chain: the trigger event's own figures (decoded from
 * its stored log) and the loan's (the read model), as src/notify/templates' NoticeData. No contact
 * data: the templates never see an address or a phone number.
 */
import type { Kysely } from "kysely";
import { erc20Abi, type Address, type PublicClient } from "viem";
import { createArgsDecoder } from "../chain/decode";
import { chunk } from "../db/chunk";
import { settlementOf } from "../db/loans";
import { daysLate } from "../domain";
import type { NoticesTable } from "../db/notify-tables";
import type { Database, LoansTable } from "../db/schema";
import { TemplateError } from "./errors";
import type { NoticeCurrency, NoticeData } from "./templates";
import { dataOf as logDataOf, topicsOf } from "../db/raw-logs";

/** A token's symbol and decimals. */
export interface TokenInfo {
  symbol: string;
  decimals: number;
}
export type TokenInfoOf = (token: string) => Promise<TokenInfo>;

/** Reads an ERC-20's symbol and decimals once per token (viem's standard ERC-20 ABI). */
export function tokenInfoReader(client: PublicClient): TokenInfoOf {
  const cache = new Map<string, Promise<TokenInfo>>();
  return (token) => {
    const key = token.toLowerCase();
    let p = cache.get(key);
    if (!p) {
      const address = token as Address;
      p = Promise.all([client.readContract({ address, abi: erc20Abi, functionName: "symbol" }), client.readContract({ address, abi: erc20Abi, functionName: "decimals" })]).then(
        ([symbol, decimals]) => ({ symbol, decimals: Number(decimals) }),
      );
      p.catch(() => cache.delete(key));
      cache.set(key, p);
    }
    return p;
  };
}

/** Rows per `in (…)` list. */
const IN_LIST = 200;

const big = (v: unknown): bigint | undefined => (typeof v === "string" || typeof v === "number" || typeof v === "bigint" ? BigInt(v) : undefined);
const num = (v: unknown): number | undefined => (typeof v === "string" || typeof v === "number" ? Number(v) : undefined);

/** One decoder for every notice (it builds its event tables once). */
const decodeArgs = createArgsDecoder();

/** Notices and their loans, as noticeDataAll takes them. */
export interface NoticeOfLoan {
  notice: NoticesTable;
  loan: LoansTable;
}

/**
 * The decoded arguments of each notice's trigger event (empty for a request; a broken promise's
 * from its promise row), by notice id: one query per kind for all of them.
 */
async function triggerArgsAll(db: Kysely<Database>, items: NoticeOfLoan[]): Promise<Map<string, Record<string, unknown>>> {
  const out = new Map<string, Record<string, unknown>>(items.map((i) => [i.notice.id, {}]));
  const broken = items.filter((i) => i.notice.trigger === "PromiseBroken");
  for (const part of chunk(broken, IN_LIST)) {
    const rows = await db.selectFrom("promises").select(["loan_id", "seq", "amount", "due_by"]).where("loan_id", "in", part.map((i) => i.notice.loan_id)).execute();
    const bySeq = new Map(rows.map((r) => [`${r.loan_id}:${r.seq}`, r]));
    for (const { notice: n } of part) {
      // promise-broken:<loanId>:<seq> (src/notify/ids.ts): the promise's own row.
      const pr = bySeq.get(`${n.loan_id}:${Number(n.trigger_id.split(":")[2])}`);
      if (pr) out.set(n.id, { amount: pr.amount, dueBy: String(pr.due_by) });
    }
  }
  const events = items.filter((i) => i.notice.trigger !== "PromiseBroken" && i.notice.trigger_block !== null && i.notice.trigger_log_index !== null);
  for (const part of chunk(events, IN_LIST)) {
    const rows = await db
      .selectFrom("raw_logs as r")
      .innerJoin("loan_events as e", (j) => j.onRef("e.block_number", "=", "r.block_number").onRef("e.log_index", "=", "r.log_index"))
      .select(["r.block_number", "r.log_index", "r.topics", "r.data", "e.contract"])
      .where((eb) => eb.or(part.map(({ notice: n }) => eb.and([eb("r.block_number", "=", n.trigger_block!), eb("r.log_index", "=", n.trigger_log_index!)]))))
      .execute();
    const byPosition = new Map(rows.map((r) => [`${r.block_number}:${r.log_index}`, r]));
    for (const { notice: n } of part) {
      const row = byPosition.get(`${n.trigger_block}:${n.trigger_log_index}`);
      if (row) out.set(n.id, decodeArgs(row.contract, topicsOf(row.topics), logDataOf(row.data)));
    }
  }
  return out;
}

/** The installment rows the notices name, by `loan:version:idx`. */
async function installmentsOf(db: Kysely<Database>, wanted: { loan: LoansTable; idx: number }[]) {
  const out = new Map<string, { due_date: number; principal: string; interest: string }>();
  for (const part of chunk(wanted, IN_LIST)) {
    const rows = await db
      .selectFrom("installments")
      .select(["loan_id", "version", "idx", "due_date", "principal", "interest"])
      .where("loan_id", "in", [...new Set(part.map((w) => w.loan.loan_id))])
      .where("idx", "in", [...new Set(part.map((w) => w.idx))])
      .execute();
    for (const r of rows) out.set(`${r.loan_id}:${r.version}:${r.idx}`, r);
  }
  return out;
}

/**
 * The notice data of each of `items` (a few queries for all of them), in order; a notice whose
 * data cannot be made (a loan with neither token nor currency, a token that does not answer) gets
 * its error in its place.
 */
export async function noticeDataAll(db: Kysely<Database>, items: NoticeOfLoan[], tokenInfo: TokenInfoOf): Promise<(NoticeData | Error)[]> {
  const args = await triggerArgsAll(db, items);
  const installmentOf = (i: NoticeOfLoan) => num(args.get(i.notice.id)!.installment) ?? i.loan.cursor;
  const insts = await installmentsOf(
    db,
    items.map((i) => ({ loan: i.loan, idx: installmentOf(i) })),
  );
  return Promise.all(
    items.map(async ({ notice: n, loan }) => {
      try {
        const settlement = settlementOf(loan);
        let currency: NoticeCurrency;
        if (settlement.token) currency = { token: settlement.token, ...(await tokenInfo(settlement.token)) };
        else if (settlement.currency) currency = { code: settlement.currency };
        else throw new TemplateError(`loan ${loan.loan_id} has neither a token nor a currency`);
        const a = args.get(n.id)!;
        const installment = installmentOf({ notice: n, loan });
        return dataOf(n, loan, currency, a, installment, insts.get(`${loan.loan_id}:${loan.version}:${installment}`));
      } catch (err) {
        return err instanceof Error ? err : new TemplateError(String(err));
      }
    }),
  );
}

/** The notice data of `n` on `loan`. */
export async function noticeData(db: Kysely<Database>, n: NoticesTable, loan: LoansTable, tokenInfo: TokenInfoOf): Promise<NoticeData> {
  const [data] = await noticeDataAll(db, [{ notice: n, loan }], tokenInfo);
  if (data instanceof Error) throw data;
  return data!;
}

function dataOf(
  n: NoticesTable,
  loan: LoansTable,
  currency: NoticeCurrency,
  args: Record<string, unknown>,
  installment: number,
  inst: { due_date: number; principal: string; interest: string } | undefined,
): NoticeData {
  const penalty = big(args.penaltyOutstanding) ?? BigInt(loan.penalty_assessed) - BigInt(loan.penalty_paid);
  const schedule = Array.isArray(args.schedule) ? (args.schedule as { dueDate: string; principal: string; interest: string }[]) : undefined;

  return {
    loanId: BigInt(loan.loan_id),
    reference: `#${loan.loan_id}`,
    currency,
    asOf: BigInt(n.trigger_at),
    amountDue: inst ? BigInt(inst.principal) + BigInt(inst.interest) : undefined,
    amountOverdue: BigInt(loan.amount_overdue),
    penalty: penalty < 0n ? 0n : penalty,
    dueDate: big(args.dueDate) ?? (inst ? BigInt(inst.due_date) : undefined),
    // A request or a derived trigger states no DPD: the loan's own at the trigger's time.
    dpd: num(args.dpd) ?? (loan.cursor_due === null ? 0 : Number(daysLate(BigInt(loan.cursor_due), BigInt(n.trigger_at)))),
    installment,
    offsetDays: num(args.offsetDays),
    classificationFrom: num(args.from),
    classificationTo: num(args.to),
    promiseAmount: big(args.amount),
    promiseDueBy: big(args.dueBy),
    scheduleVersion: num(args.version),
    installmentCount: schedule?.length,
    totalAmount: schedule?.reduce((s, i) => s + BigInt(i.principal) + BigInt(i.interest), 0n),
    firstDueDate: schedule?.[0] ? BigInt(schedule[0].dueDate) : undefined,
    ...reliefData(n.trigger, args),
  };
}

/** The relief figures of a SettlementOffered, LoanSettled, PaymentHolidayGranted, ArrearsPlanCreated or ArrearsPlanBroken trigger. */
function reliefData(trigger: string, args: Record<string, unknown>): Partial<NoticeData> {
  switch (trigger) {
    case "SettlementOffered":
      return {
        settlementAmount: big(args.amount),
        settlementDeadline: big(args.deadline),
        // What is owed at the offer: the amount the settlement is set against.
        totalAmount: (big(args.principalOwed) ?? 0n) + (big(args.interestOwed) ?? 0n) + (big(args.penaltyOwed) ?? 0n),
      };
    case "LoanSettled": {
      const f = (args.figures ?? {}) as Record<string, unknown>;
      return { settlementAmount: big(args.amount), forgivenAmount: (big(f.penaltyForgiven) ?? 0n) + (big(f.interestForgiven) ?? 0n) + (big(f.principalForgiven) ?? 0n) };
    }
    case "PaymentHolidayGranted":
      return { holidayEnd: big(args.to) };
    case "ArrearsPlanCreated": {
      const parts = Array.isArray(args.parts) ? (args.parts as { dueDate: unknown; amount: unknown }[]) : [];
      return { totalAmount: big(args.arrears), partCount: parts.length, nextPartAmount: big(parts[0]?.amount), nextPartDate: big(parts[0]?.dueDate) };
    }
    case "ArrearsPlanBroken":
      return { nextPartAmount: (big(args.required) ?? 0n) - (big(args.paid) ?? 0n), nextPartDate: big(args.dueDate) };
    default:
      return {};
  }
}
