/**
 * What a dispatcher pass reads once for all the notices it claimed — their loans, the borrowers'
 * sealed contact rows, the loans' compliance states, the lenders' contact policies, caps and
 * webhook URLs, and each loan's recent SMS and email contacts — one query per kind instead of one
 * per notice. The contact rows stay sealed here: each notice opens its own (a row that does not
 * open fails that notice alone).
 */
import type { Kysely } from "kysely";
import { chunk } from "../db/chunk";
import { complianceStates, contactPolicies, jurisdictionRules } from "../db/compliance";
import { contactKey, contactRows } from "../db/contacts";
import type { NoticesTable } from "../db/notify-tables";
import type { BorrowerContactsTable, Database, LoansTable } from "../db/schema";
import { treatmentsOf } from "../db/strategies";
import type { Treatment } from "../strategy/strategy-file";
import { CAPPED_CHANNELS, DAY, isContact, type ComplianceState, type ContactPolicy, type JurisdictionRules, type NoticeCaps } from "../domain";

/** Ids per `in (…)` list. */
const IN_LIST = 500;

export interface PassFacts {
  loans: Map<number, LoansTable>;
  /** Sealed contact rows by contactKey(loan's lender, loan's borrower ref). */
  contacts: Map<string, BorrowerContactsTable>;
  states: Map<number, ComplianceState>;
  policies: Map<string, ContactPolicy>;
  /** The contact rules of each loan jurisdiction (its own, else its country's; null: none set). */
  rules: Map<string, JurisdictionRules | null>;
  /** Caps by {@link capsKey} (the lender and the loan's strategy treatment). */
  caps: Map<string, NoticeCaps>;
  /** Each scored loan's strategy treatment (its segment's). */
  treatments: Map<number, Treatment>;
  webhookUrls: Map<string, string | undefined>;
  /**
   * Chain times of each loan's SMS and email contacts within the caps' reach (collectors' actions
   * and sent notices). The pass adds each SMS or email it decides to send, so two notices of one
   * loan in one pass are capped together.
   */
  recent: Map<number, bigint[]>;
}

export interface PassFactsDeps {
  db: Kysely<Database>;
  capsFor: (db: Kysely<Database>, lender: string, treatment?: Treatment) => Promise<NoticeCaps>;
  webhookUrlFor: (db: Kysely<Database>, lender: string) => Promise<string | undefined>;
  /** The notifier's address: its recorded actions are the outbox's notices, counted once (from the outbox). */
  notifier?: string;
}

/** The facts of `notices` at chain time `t`. */
export async function readPassFacts(d: PassFactsDeps, notices: readonly NoticesTable[], t: bigint): Promise<PassFacts> {
  const ids = [...new Set(notices.map((n) => n.loan_id))];
  const loans = new Map<number, LoansTable>();
  for (const part of chunk(ids, IN_LIST)) {
    for (const l of (await d.db.selectFrom("loans").selectAll().where("loan_id", "in", part).execute()) as LoansTable[]) loans.set(l.loan_id, l);
  }
  const rows = [...loans.values()];
  const lenders = [...new Set(rows.map((l) => l.lender))];
  const webhookLenders = [...new Set(notices.filter((n) => n.channel === "webhook").map((n) => loans.get(n.loan_id)?.lender).filter((l): l is string => l !== undefined))];
  const treatments = new Map<number, Treatment>();
  for (const part of chunk([...loans.keys()], IN_LIST)) for (const [k, v] of await treatmentsOf(d.db, part)) treatments.set(k, v);
  const capsWanted = new Map(rows.map((l) => [capsKey(l.lender, treatments.get(l.loan_id)), { lender: l.lender, treatment: treatments.get(l.loan_id) }]));
  const [contacts, states, policies, caps, webhookUrls, recent, rules] = await Promise.all([
    contactRows(
      d.db,
      rows.map((l) => ({ lender: l.lender, borrowerRef: l.borrower_ref })),
    ),
    complianceStatesOf(d.db, rows, t),
    contactPolicies(d.db, lenders),
    new Map(await Promise.all([...capsWanted].map(async ([k, w]) => [k, await d.capsFor(d.db, w.lender, w.treatment)] as const))),
    perLender(webhookLenders, (l) => d.webhookUrlFor(d.db, l)),
    recentMessages(d, [...loans.keys()], t),
    jurisdictionRules(d.db, rows.map((l) => l.jurisdiction)),
  ]);
  return { loans, contacts, states, policies, caps, treatments, webhookUrls, recent, rules };
}

/** The key of a loan's caps: its lender, and the treatment's notice segment and intensity. */
export const capsKey = (lender: string, t: Treatment | undefined) => (t ? `${lender}|${t.noticePlan}|${t.maxContactsPer7Days}` : lender);

/** The caps that apply to `loan`. */
export const capsOf = (facts: PassFacts, loan: LoansTable) => facts.caps.get(capsKey(loan.lender, facts.treatments.get(loan.loan_id)))!;

/** The sealed contact row of `loan`'s borrower, if any. */
export function contactRowOf(facts: PassFacts, loan: LoansTable): BorrowerContactsTable | undefined {
  return facts.contacts.get(contactKey(loan.lender, loan.borrower_ref));
}

async function complianceStatesOf(db: Kysely<Database>, rows: LoansTable[], t: bigint): Promise<Map<number, ComplianceState>> {
  const out = new Map<number, ComplianceState>();
  for (const part of chunk(rows, IN_LIST)) for (const [k, v] of await complianceStates(db, part, Number(t))) out.set(k, v);
  return out;
}

async function perLender<T>(lenders: string[], read: (lender: string) => Promise<T>): Promise<Map<string, T>> {
  return new Map(await Promise.all(lenders.map(async (l) => [l, await read(l)] as const)));
}

/** Chain times of the loans' SMS and email contacts in the caps' reach (8 days): collectors' actions and sent notices. */
async function recentMessages(d: PassFactsDeps, loanIds: number[], t: bigint): Promise<Map<number, bigint[]>> {
  const since = Number(t - 8n * DAY);
  const out = new Map<number, bigint[]>(loanIds.map((id) => [id, []]));
  for (const part of chunk(loanIds, IN_LIST)) {
    let actions = d.db.selectFrom("actions").select(["loan_id", "occurred_at", "kind"]).where("loan_id", "in", part).where("channel", "in", [...CAPPED_CHANNELS]).where("occurred_at", ">=", since);
    if (d.notifier) actions = actions.where("collector", "!=", d.notifier);
    const [a, n] = await Promise.all([
      actions.execute(),
      d.db
        .selectFrom("notices")
        .select(["loan_id", "sent_at"])
        .where("loan_id", "in", part)
        .where("channel", "in", ["sms", "email"])
        .where("status", "in", ["sent", "delivered"])
        .where("sent_at", ">=", since)
        .execute(),
    ]);
    for (const x of a) if (isContact(x.kind)) out.get(x.loan_id)!.push(BigInt(x.occurred_at));
    for (const x of n) out.get(x.loan_id)!.push(BigInt(x.sent_at!));
  }
  return out;
}
