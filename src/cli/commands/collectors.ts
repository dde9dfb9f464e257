/**
 * `duetrail collectors assign|unassign --loans 1,2,5-9 --collector 0x...`: a lender gives (or
 * takes back) its loans to a collector on CollectionLog; only assigned collectors may log actions.
 * assign is one transaction for all the loans; unassign is one per loan (the contract takes one),
 * each simulated before the first is sent. Prints JSON: transactions and the loans affected.
 */
import type { Command } from "commander";
import { z } from "zod";
import { parseEventLogs } from "viem";
import { collectionLogAbi } from "../../chain/abis";
import { parseConnectionOptions, withConnectionOptions } from "../lib/connection";
import { UsageError, action } from "../lib/errors";
import { address } from "../lib/fields";
import { flag, loanListFlag } from "../lib/flags";
import { chainNumber, printJson } from "../lib/json";
import { connectSigner, readPrivateKey, send, withSignerOptions } from "../lib/signer";

const optionsSchema = z.object({
  loans: loanListFlag("--loans"),
  collector: flag("--collector", address({ nonZero: true })),
});

async function assign(raw: Record<string, unknown>): Promise<void> {
  const parsed = optionsSchema.safeParse(raw);
  if (!parsed.success) throw new UsageError(parsed.error.issues[0]!.message);
  const o = parsed.data;
  const s = await connectSigner(parseConnectionOptions(raw), readPrivateKey(raw));
  const receipt = await send(s, {
    address: s.deployment.collectionLog.address,
    abi: collectionLogAbi,
    functionName: "assignCollector",
    args: [o.loans, o.collector],
  });
  const events = parseEventLogs({ abi: collectionLogAbi, logs: receipt.logs, eventName: "CollectorAssigned" });
  printJson({
    collector: o.collector,
    lender: s.account.address,
    assigned: events.map((e) => e.args.loanId),
    transactions: [{ txHash: receipt.transactionHash, blockNumber: chainNumber(receipt.blockNumber), gasUsed: receipt.gasUsed }],
  });
}

async function unassign(raw: Record<string, unknown>): Promise<void> {
  const parsed = optionsSchema.safeParse(raw);
  if (!parsed.success) throw new UsageError(parsed.error.issues[0]!.message);
  const o = parsed.data;
  const s = await connectSigner(parseConnectionOptions(raw), readPrivateKey(raw));
  const log = s.deployment.collectionLog.address;
  // Simulate every one first, so a loan that would be refused stops the command before any is sent.
  for (const loanId of o.loans) {
    await s.client.simulateContract({ address: log, abi: collectionLogAbi, functionName: "unassignCollector", args: [loanId, o.collector], account: s.account });
  }
  const transactions = [];
  const unassigned: bigint[] = [];
  for (const loanId of o.loans) {
    const receipt = await send(s, { address: log, abi: collectionLogAbi, functionName: "unassignCollector", args: [loanId, o.collector] });
    const events = parseEventLogs({ abi: collectionLogAbi, logs: receipt.logs, eventName: "CollectorUnassigned" });
    unassigned.push(...events.map((e) => e.args.loanId));
    transactions.push({ loanId, txHash: receipt.transactionHash, blockNumber: chainNumber(receipt.blockNumber), gasUsed: receipt.gasUsed });
  }
  printJson({ collector: o.collector, lender: s.account.address, unassigned, transactions });
}

/** Registers `collectors assign` and `collectors unassign` on the program. */
export function registerCollectorsCommand(program: Command): void {
  const collectors = program.command("collectors").description("lender: collector assignments on CollectionLog");
  for (const [name, description, fn] of [
    ["assign", "assign loans to a collector (one transaction)", assign],
    ["unassign", "take loans back from a collector (one transaction per loan)", unassign],
  ] as const) {
    const cmd = collectors
      .command(name)
      .description(description)
      .option("--loans <ids>", "loan ids and ranges: 1,2,5-9")
      .option("--collector <address>", "the collector's address")
      .showHelpAfterError(false)
      .addHelpText("after", "\nThe sender's key is read from LENDER_KEY (or --key-env NAME).\nExit status: 0 done, 1 refused or failed on chain, 2 bad input.");
    withSignerOptions(withConnectionOptions(cmd));
    cmd.action(action(cmd, fn));
  }
}
