/**
 * What a notice says, gathered from the indexed chain: the trigger event's own figures (decoded from
 * its stored log) and the loan's (the read model), as src/notify/templates' NoticeData. No contact
 * data: the templates never see an address or a phone number.
 */
import type { Kysely } from "kysely";
import { erc20Abi, type Address, type Hex, type PublicClient } from "viem";
import { createArgsDecoder } from "../chain/decode";
import { settlementOf } from "../db/loans";
import { daysLate } from "../domain";
import type { NoticesTable } from "../db/notify-tables";
import type { Database, LoansTable } from "../db/schema";
import { TemplateError } from "./errors";
import type { NoticeCurrency, NoticeData } from "./templates";

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

const big = (v: unknown): bigint | undefined => (typeof v === "string" || typeof v === "number" || typeof v === "bigint" ? BigInt(v) : undefined);
const num = (v: unknown): number | undefined => (typeof v === "string" || typeof v === "number" ? Number(v) : undefined);

/** The decoded arguments of `n`'s trigger event (empty for a request or a derived trigger). */
async function triggerArgs(db: Kysely<Database>, n: NoticesTable): Promise<Record<string, unknown>> {
  if (n.trigger === "PromiseBroken") {
    // promise-broken:<loanId>:<seq> (src/notify/ids.ts): the promise's own row.
    const seq = Number(n.trigger_id.split(":")[2]);
    const pr = await db.selectFrom("promises").select(["amount", "due_by"]).where("loan_id", "=", n.loan_id).where("seq", "=", seq).executeTakeFirst();
    return pr ? { amount: pr.amount, dueBy: String(pr.due_by) } : {};
  }
  if (n.trigger_block === null || n.trigger_log_index === null) return {};
  const row = await db
    .selectFrom("raw_logs as r")
    .innerJoin("loan_events as e", (j) => j.onRef("e.block_number", "=", "r.block_number").onRef("e.log_index", "=", "r.log_index"))
    .select(["r.topics", "r.data", "e.contract"])
    .where("r.block_number", "=", n.trigger_block)
    .where("r.log_index", "=", n.trigger_log_index)
    .executeTakeFirst();
  if (!row) return {};
  return createArgsDecoder()(row.contract, JSON.parse(row.topics) as Hex[], row.data as Hex);
}

/** The notice data of `n` on `loan`. */
export async function noticeData(db: Kysely<Database>, n: NoticesTable, loan: LoansTable, tokenInfo: TokenInfoOf): Promise<NoticeData> {
  const settlement = settlementOf(loan);
  let currency: NoticeCurrency;
  if (settlement.token) currency = { token: settlement.token, ...(await tokenInfo(settlement.token)) };
  else if (settlement.currency) currency = { code: settlement.currency };
  else throw new TemplateError(`loan ${loan.loan_id} has neither a token nor a currency`);

  const args = await triggerArgs(db, n);
  const installment = num(args.installment) ?? loan.cursor;
  const inst = await db
    .selectFrom("installments")
    .select(["due_date", "principal", "interest"])
    .where("loan_id", "=", loan.loan_id)
    .where("version", "=", loan.version)
    .where("idx", "=", installment)
    .executeTakeFirst();
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
  };
}
