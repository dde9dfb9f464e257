/** Outbox rows and contact records the notice and contact tests start from, written straight to the fixture's database. */
import type { Hex } from "viem";
import { upsertContacts } from "../../../src/db/contacts";
import type { NoticesTable } from "../../../src/db/notify-tables";
import { noticeId } from "../../../src/notify/ids";
import type { BorrowerContact } from "../../../src/pii/contact";
import { TEST_PII_KEYRING, type ApiFixture } from "../fixture";

/** A notice of `loanId` as the planner would write it for a contract event, with `over` on top. */
export async function noticeRow(f: ApiFixture, loanId: number, n: number, over: Partial<NoticesTable> = {}): Promise<NoticesTable> {
  const loan = await f.db.selectFrom("loans").select(["lender", "borrower_ref"]).where("loan_id", "=", loanId).executeTakeFirstOrThrow();
  const triggerId = `ev:${loanId.toString(16).padStart(4, "0")}${n.toString(16).padStart(60, "0")}`;
  const channel = over.channel ?? "email";
  return {
    id: noticeId(triggerId, channel),
    trigger_id: triggerId,
    trigger: "ReminderTriggered",
    channel,
    loan_id: loanId,
    lender: loan.lender,
    borrower_ref: loan.borrower_ref,
    trigger_block: 10 + n,
    trigger_log_index: n % 3,
    trigger_tx: `0x${n.toString(16).padStart(64, "0")}`,
    trigger_at: 1_700_000_000 + n * 60,
    plan_version: 1,
    step: 0,
    fallback_of: null,
    template: "reminder.overdue",
    template_version: 1,
    language: "en",
    kind: "reminder",
    requested_by: null,
    fallback: "[]",
    status: "sent",
    reason: null,
    due_at: 1_700_000_000 + n * 60,
    attempts: 1,
    lease_owner: null,
    lease_until_ms: null,
    evidence_hash: `0x${"ee".repeat(32)}`,
    content_type: "text/plain; charset=utf-8",
    provider_id: `provider-${n}`,
    sent_at: 1_700_000_000 + n * 60 + 5,
    delivered_at: null,
    outcome: null,
    record_state: "due",
    record_tx: null,
    action_seq: null,
    created_ms: 1_700_000_000_000,
    sent_ms: 1_700_000_000_500,
    ...over,
  };
}

export async function insertNotices(f: ApiFixture, rows: NoticesTable[]): Promise<void> {
  if (rows.length) await f.db.insertInto("notices").values(rows).execute();
}

/** The borrowerRef of a loan, as the loans table holds it (0x + 64 lowercase hex). */
export async function borrowerRefOf(f: ApiFixture, loanId: number): Promise<Hex> {
  const loan = await f.db.selectFrom("loans").select("borrower_ref").where("loan_id", "=", loanId).executeTakeFirstOrThrow();
  return loan.borrower_ref as Hex;
}

/** A full contact record with recognisable contact points (the tests look for them in answers and logs). */
export function contactOf(borrowerRef: Hex, tag = "wang"): BorrowerContact {
  return {
    borrowerRef,
    email: `${tag}.fang.private@example-mail.cn`,
    phone: "+8613912345678",
    postalAddress: `88 Renmin Road, Apt 1203\nTianhe District\nGuangzhou 510000`,
    language: "zh-CN",
    timeZone: "Asia/Shanghai",
    jurisdiction: "CN-GD",
    consent: { sms: true, email: true, letter: true, webhook: false },
  };
}

/** Writes `contact` for the loan's lender through the directory (sealed under the fixture's key). */
export async function storeContact(f: ApiFixture, loanId: number, contact: BorrowerContact): Promise<void> {
  const loan = await f.db.selectFrom("loans").select("lender").where("loan_id", "=", loanId).executeTakeFirstOrThrow();
  await upsertContacts(f.db, TEST_PII_KEYRING, loan.lender as Hex, [contact], 1_700_000_000);
}
