/**
 * The recorder: writes sent notices into their loans' CollectionLog trails, many per transaction
 * (`recordActions`), from the notifier's key (an account the lender assigns as a collector of its
 * loans, like any collector). Each action: the notice's channel, kind and outcome
 * (src/notify/outcomes.ts), `occurredAt` = the chain time it was sent, `evidenceHash` = the SHA-256
 * of the rendered bytes in the evidence store.
 *
 * Exactly once on chain, across a kill at any moment: the signed transaction is stored
 * (`notice_records`) and its notices marked `submitted` with its hash in one database transaction
 * before it is broadcast; a restart finds it and sends the same bytes again (a transaction is
 * included at most once), or, once its nonce went to another transaction without a receipt for
 * it, returns its notices to `due`. One recorder per database: on PostgreSQL the run loop takes an
 * advisory lock for it.
 */
import type { Kysely } from "kysely";
import { BaseError, decodeEventLog, encodeFunctionData, keccak256, type Address, type Hex, type LocalAccount, type PublicClient } from "viem";
import { collectionLogAbi } from "../chain/abis";
import type { Deployment } from "../chain/deployments";
import { chunk } from "../db/chunk";
import type { NoticesTable } from "../db/notify-tables";
import type { Database } from "../db/schema";
import { daysLate } from "../domain";
import { actionChannel, actionKind } from "./outcomes";

export interface RecorderDeps {
  db: Kysely<Database>;
  client: PublicClient;
  account: LocalAccount;
  deployment: Deployment;
  nowMs: () => number;
  /** Actions per transaction (the Hardhat network caps a transaction at 16.7 M gas). */
  batch?: number;
}

export interface RecordPassResult {
  submitted: number;
  recorded: number;
  /** Transactions sent again (after a crash or a dropped transaction). */
  resent: number;
  /** Notices back to `due` (a transaction that can no longer be included). */
  requeued: number;
  /** Notices the contract refused (for instance the notifier is not assigned to the loan). */
  refused: number;
}

const isNonceClash = (err: unknown) => /nonce too low|nonce has already been used|already known|nonce.*lower than/i.test(err instanceof BaseError ? `${err.shortMessage} ${err.details}` : String(err));

/** The action input of a sent notice. */
function actionOf(n: NoticesTable, dpdAtSend: bigint) {
  return {
    loanId: BigInt(n.loan_id),
    channel: actionChannel(n.channel, n.template)!,
    kind: actionKind(n.kind, dpdAtSend),
    outcome: Number(n.outcome),
    occurredAt: BigInt(n.sent_at!),
    evidenceHash: n.evidence_hash as Hex,
  };
}

/** Settles the submitted transactions: included (notices recorded, with their trail seq), or lost (back to due), or sent again. */
async function settleSubmitted(d: RecorderDeps, out: RecordPassResult): Promise<void> {
  const pending = await d.db.selectFrom("notice_records").selectAll().where("state", "=", "submitted").orderBy("nonce").execute();
  for (const r of pending) {
    const receipt = await d.client.getTransactionReceipt({ hash: r.tx_hash as Hex }).catch(() => undefined);
    if (receipt) {
      const notices = await d.db.selectFrom("notices").select(["id", "loan_id"]).where("record_tx", "=", r.tx_hash).orderBy("id").execute();
      await d.db.transaction().execute(async (trx) => {
        await trx.updateTable("notice_records").set({ state: receipt.status === "success" ? "included" : "reverted", block_number: Number(receipt.blockNumber) }).where("tx_hash", "=", r.tx_hash).execute();
        if (receipt.status !== "success") {
          await trx.updateTable("notices").set({ record_state: "due", record_tx: null }).where("record_tx", "=", r.tx_hash).execute();
          return;
        }
        // ActionRecorded events come in the order of the inputs, which is the order of `id`.
        const seqs: bigint[] = [];
        for (const log of receipt.logs) {
          if (log.address.toLowerCase() !== d.deployment.collectionLog.address.toLowerCase()) continue;
          const ev = decodeEventLog({ abi: collectionLogAbi, data: log.data, topics: log.topics, strict: false });
          if (ev.eventName === "ActionRecorded") seqs.push((ev.args as { seq: bigint }).seq);
        }
        for (const [i, n] of notices.entries()) {
          await trx.updateTable("notices").set({ record_state: "recorded", action_seq: seqs[i] === undefined ? null : Number(seqs[i]) }).where("id", "=", n.id).execute();
        }
      });
      out.recorded += notices.length;
      continue;
    }
    const mined = await d.client.getTransactionCount({ address: d.account.address, blockTag: "latest" });
    if (mined > r.nonce) {
      // Its nonce went to another transaction and it has no receipt: it never will.
      await d.db.transaction().execute(async (trx) => {
        await trx.updateTable("notice_records").set({ state: "reverted" }).where("tx_hash", "=", r.tx_hash).execute();
        const u = await trx.updateTable("notices").set({ record_state: "due", record_tx: null }).where("record_tx", "=", r.tx_hash).executeTakeFirst();
        out.requeued += Number(u.numUpdatedRows);
      });
      continue;
    }
    await d.client.sendRawTransaction({ serializedTransaction: r.raw_tx as Hex }).catch((err: unknown) => {
      if (!isNonceClash(err)) throw err;
    });
    out.resent++;
  }
}

/** Notices of loans whose simulation reverts are marked refused, one by one, so one bad loan does not hold the others. */
async function refuseUnrecordable(d: RecorderDeps, rows: NoticesTable[], dpds: Map<string, bigint>, out: RecordPassResult): Promise<NoticesTable[]> {
  const ok: NoticesTable[] = [];
  for (const n of rows) {
    try {
      await d.client.simulateContract({ account: d.account, address: d.deployment.collectionLog.address, abi: collectionLogAbi, functionName: "recordActions", args: [[actionOf(n, dpds.get(n.id)!)]] });
      ok.push(n);
    } catch (err) {
      const reason = (err instanceof BaseError ? err.shortMessage : String(err)).split("\n")[0].slice(0, 300);
      await d.db.updateTable("notices").set({ record_state: "none", reason: `not recorded on chain: ${reason}` }).where("id", "=", n.id).execute();
      out.refused++;
    }
  }
  return ok;
}

/** One pass: settles what was submitted, then submits one transaction with up to `batch` notices due for recording. */
export async function recordPass(d: RecorderDeps): Promise<RecordPassResult> {
  const out: RecordPassResult = { submitted: 0, recorded: 0, resent: 0, requeued: 0, refused: 0 };
  await settleSubmitted(d, out);
  if ((await d.db.selectFrom("notice_records").select("tx_hash").where("state", "=", "submitted").limit(1).execute()).length) return out;

  let rows = (await d.db.selectFrom("notices").selectAll().where("record_state", "=", "due").orderBy("id").limit(d.batch ?? 100).execute()) as NoticesTable[];
  if (rows.length === 0) return out;
  const loans = await d.db.selectFrom("loans").select(["loan_id", "cursor_due"]).where("loan_id", "in", [...new Set(rows.map((n) => n.loan_id))]).execute();
  const due = new Map(loans.map((l) => [l.loan_id, l.cursor_due]));
  const dpds = new Map(rows.map((n) => [n.id, due.get(n.loan_id) == null ? 0n : daysLate(BigInt(due.get(n.loan_id)!), BigInt(n.sent_at!))]));
  const actions = () => rows.map((n) => actionOf(n, dpds.get(n.id)!));
  const address = d.deployment.collectionLog.address as Address;
  let gas: bigint;
  try {
    gas = await d.client.estimateContractGas({ account: d.account, address, abi: collectionLogAbi, functionName: "recordActions", args: [actions()] });
  } catch {
    rows = await refuseUnrecordable(d, rows, dpds, out);
    if (rows.length === 0) return out;
    gas = await d.client.estimateContractGas({ account: d.account, address, abi: collectionLogAbi, functionName: "recordActions", args: [actions()] });
  }
  const nonce = await d.client.getTransactionCount({ address: d.account.address, blockTag: "pending" });
  const request = await d.client.prepareTransactionRequest({
    account: d.account,
    chain: d.client.chain,
    to: address,
    data: encodeFunctionData({ abi: collectionLogAbi, functionName: "recordActions", args: [actions()] }),
    nonce,
    gas: (gas * 6n) / 5n,
  });
  const raw = await d.account.signTransaction(request as never);
  const txHash = keccak256(raw);
  await d.db.transaction().execute(async (trx) => {
    await trx.insertInto("notice_records").values({ tx_hash: txHash, raw_tx: raw, nonce, count: rows.length, state: "submitted", block_number: null, created_ms: d.nowMs() }).execute();
    for (const part of chunk(rows.map((n) => n.id), 500)) await trx.updateTable("notices").set({ record_state: "submitted", record_tx: txHash }).where("id", "in", part).execute();
  });
  await d.client.sendRawTransaction({ serializedTransaction: raw }).catch((err: unknown) => {
    if (!isNonceClash(err)) throw err;
  });
  out.submitted = rows.length;
  return out;
}
