/**
 * The moving chain of the realistic API benchmark (bench/api.ts): every `interval` ms one new
 * indexed block, written as the indexer writes one — in one transaction, `perBlock` loans repaid
 * (a LoanRepaid row each, the loans rows rewritten from the domain state machine with the
 * indexer's projectionRow and upsertLoans) and the cursor moved one block and 2 s on. Every block
 * changes the API's response-cache generation, as a live chain does.
 *
 *   ts-node --swc bench/api/chain-writer.ts <db file> <loans> [interval ms = 2000] [loans per block = 300]
 *
 * Prints one JSON line per block on stdout: { block, ms } (the write's duration).
 */
import { keccak256, toHex } from "viem";
import { openDatabase } from "../../src/db/connect";
import { loadProjections, projectionRow } from "../../src/db/loans";
import { applyRepayment, statusAt, type Policy } from "../../src/domain";
import { insertMany, moveCursor, readCursor, upsertLoans, writeTransaction } from "../../src/indexer/store";
import { prng } from "../../scripts/lib/prng";

const BORROWER = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";

async function main(): Promise<void> {
  const [file, loansArg, intervalArg, perBlockArg] = process.argv.slice(2);
  if (!file || !loansArg) throw new Error("usage: chain-writer.ts <db file> <loans> [interval ms] [loans per block]");
  const loans = Number(loansArg);
  const interval = Number(intervalArg ?? 2_000);
  const perBlock = Number(perBlockArg ?? 300);
  const handle = await openDatabase(file);
  // Seeded by where the chain is: a writer started again on the same book goes on to other loans.
  const random = prng(loans + 7 + (await readCursor(handle.db))!.blockNumber);
  const policies = new Map<number, Policy>();
  let stopping = false;
  process.on("SIGTERM", () => (stopping = true));
  while (!stopping) {
    const started = performance.now();
    const from = (await readCursor(handle.db))!;
    const to = { ...from, blockNumber: from.blockNumber + 1, blockHash: keccak256(toHex(`bench-block-${from.blockNumber + 1}`)), blockTimestamp: from.blockTimestamp + 2 };
    const ids = [...new Set(Array.from({ length: perBlock }, () => 1 + Math.floor(random() * loans)))];
    const at = BigInt(to.blockTimestamp);
    await writeTransaction(handle.db, async (trx) => {
      const projections = await loadProjections(trx, ids, policies);
      const rows = [];
      const repayments = [];
      let logIndex = 0;
      for (const p of projections.values()) {
        const s = statusAt(p.state, at);
        const owed = s.amountOverdue + s.penaltyOutstanding;
        // Half of what is overdue, or of the next installment for a loan that is current.
        const amount = (owed > 0n ? owed : s.nextDueAmount) / 2n;
        if (amount === 0n || s.status !== 0) continue;
        const r = applyRepayment(p.state, amount, at, at);
        p.state = r.state;
        p.updatedBlock = to.blockNumber;
        rows.push(projectionRow(p, to.blockTimestamp));
        repayments.push({
          block_number: to.blockNumber,
          log_index: logIndex++,
          loan_id: p.fixed.loanId,
          tx_hash: keccak256(toHex(`bench-repay-${to.blockNumber}-${p.fixed.loanId}`)),
          payer: BORROWER,
          amount: amount.toString(),
          penalty: r.breakdown.penalty.toString(),
          interest: r.breakdown.interest.toString(),
          principal: r.breakdown.principal.toString(),
          cursor_after: r.state.cursor,
          paid_at: to.blockTimestamp,
          bank_ref: `0x${"0".repeat(64)}`,
          off_chain: 0,
          recovery: 0,
        });
      }
      await insertMany(trx, "repayments", repayments);
      await upsertLoans(trx, rows);
      await moveCursor(trx, from, to);
    });
    process.stdout.write(`${JSON.stringify({ block: to.blockNumber, ms: Math.round(performance.now() - started) })}\n`);
    const rest = interval - (performance.now() - started);
    if (rest > 0) await new Promise((r) => setTimeout(r, rest));
  }
  await handle.close();
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
