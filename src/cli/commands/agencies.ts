/**
 * `duetrail agencies place|recall|assign|statement`: collection agencies (CollectionLog placements,
 * contracts/interfaces/IPlacements.sol; docs/agencies.md).
 *
 *   LENDER_KEY=0x... npm run cli -- agencies place --loans 1-20 --agency 0x... --commission-bps 1500 --days 90
 *   AGENCY_KEY=0x... npm run cli -- agencies assign --placement 1 --loans 1-5 --collector 0x...
 *   LENDER_KEY=0x... npm run cli -- agencies recall --placement 1
 *   npm run cli -- agencies statement --agency 0x... --from 2026-11-01 --to 2026-12-01
 *
 * `statement` reads the chain alone (eth_getLogs and views): the same figures as
 * GET /v1/agencies/{agency}/statement, from src/domain/agency.ts.
 */
import type { Command } from "commander";
import { z } from "zod";
import { parseEventLogs, type Address } from "viem";
import { collectionLogAbi } from "../../chain/abis";
import { statementFromChain } from "../../chain/agency-events";
import { COMMISSION_ROUNDING, DAY, MAX_PLACEMENT_LOANS } from "../../domain";
import { connect, parseConnectionOptions, withConnectionOptions } from "../lib/connection";
import { UsageError, action } from "../lib/errors";
import { address, unixTime } from "../lib/fields";
import { flag, loanListFlag, parseFlags } from "../lib/flags";
import { chainNumber, printJson } from "../lib/json";
import { connectSigner, readPrivateKey, send, withSignerOptions } from "../lib/signer";

const placementFlag = z
  .string({ error: "error: --placement is required" })
  .regex(/^[1-9]\d{0,15}$/, "error: --placement must be a positive integer")
  .transform(BigInt);
const bpsFlag = z
  .string({ error: "error: --commission-bps is required" })
  .regex(/^\d{1,5}$/, "error: --commission-bps must be an integer from 0 to 10000")
  .transform(Number)
  .refine((n) => n <= 10_000, "error: --commission-bps must be an integer from 0 to 10000");
const daysFlag = z.string().regex(/^[1-9]\d{0,4}$/, "error: --days must be a positive whole number of days").transform(BigInt);

/** Lender: place loans with an agency. The placement starts at --start (default: 30 s after the latest block) and runs --days or to --end. */
async function place(raw: Record<string, unknown>): Promise<void> {
  const o = parseFlags(
    {
      loans: loanListFlag("--loans", MAX_PLACEMENT_LOANS),
      agency: flag("--agency", address({ nonZero: true })),
      commissionBps: bpsFlag,
      start: flag("--start", unixTime).optional(),
      end: flag("--end", unixTime).optional(),
      days: daysFlag.optional(),
    },
    raw,
  );
  if ((o.end === undefined) === (o.days === undefined)) throw new UsageError("error: give --days or --end (one of them)");
  const s = await connectSigner(parseConnectionOptions(raw), readPrivateKey(raw));
  const start = o.start ?? (await s.client.getBlock()).timestamp + 30n;
  const end = o.end ?? start + o.days! * DAY;
  if (end <= start) throw new UsageError(`error: --end (${end}) must be after the start (${start})`);
  const receipt = await send(s, { address: s.deployment.collectionLog.address, abi: collectionLogAbi, functionName: "placeLoans", args: [o.loans, o.agency as Address, o.commissionBps, start, end] });
  const [created] = parseEventLogs({ abi: collectionLogAbi, logs: receipt.logs, eventName: "PlacementCreated" });
  const a = created!.args;
  printJson({
    placementId: a.placementId, txHash: receipt.transactionHash, blockNumber: chainNumber(receipt.blockNumber),
    lender: a.lender, agency: a.agency, commissionBps: a.commissionBps, start: chainNumber(a.start), end: chainNumber(a.end), loanIds: a.loanIds,
  });
}

/** Lender: recall a placement now. */
async function recall(raw: Record<string, unknown>): Promise<void> {
  const o = parseFlags({ placement: placementFlag }, raw);
  const s = await connectSigner(parseConnectionOptions(raw), readPrivateKey(raw));
  const receipt = await send(s, { address: s.deployment.collectionLog.address, abi: collectionLogAbi, functionName: "recallPlacement", args: [o.placement] });
  const [recalled] = parseEventLogs({ abi: collectionLogAbi, logs: receipt.logs, eventName: "PlacementRecalled" });
  printJson({ placementId: o.placement, txHash: receipt.transactionHash, blockNumber: chainNumber(receipt.blockNumber), recalledAt: chainNumber(recalled!.args.at) });
}

/** Agency: let one of its collectors work loans of an active placement. */
async function assign(raw: Record<string, unknown>): Promise<void> {
  const o = parseFlags({ placement: placementFlag, loans: loanListFlag("--loans", MAX_PLACEMENT_LOANS), collector: flag("--collector", address({ nonZero: true })) }, raw);
  const s = await connectSigner(parseConnectionOptions(raw), readPrivateKey(raw, "AGENCY_KEY"));
  const receipt = await send(s, { address: s.deployment.collectionLog.address, abi: collectionLogAbi, functionName: "assignAgencyCollector", args: [o.placement, o.loans, o.collector as Address] });
  printJson({ placementId: o.placement, collector: o.collector, loanIds: o.loans, txHash: receipt.transactionHash, blockNumber: chainNumber(receipt.blockNumber) });
}

/** Anyone: the agency's commission statement for [--from, --to), from chain events alone. */
async function statement(raw: Record<string, unknown>): Promise<void> {
  const o = parseFlags({ agency: flag("--agency", address({ nonZero: true })), from: flag("--from", unixTime), to: flag("--to", unixTime) }, raw);
  if (o.to <= o.from) throw new UsageError(`error: --to (${o.to}) must be after --from (${o.from})`);
  const c = await connect(parseConnectionOptions(raw));
  const head = await c.client.getBlock();
  const src = {
    client: c.client,
    loanLedger: c.deployment.loanLedger.address,
    collectionLog: c.deployment.collectionLog.address,
    fromBlock: c.deployment.collectionLog.startBlock < c.deployment.loanLedger.startBlock ? c.deployment.collectionLog.startBlock : c.deployment.loanLedger.startBlock,
    toBlock: head.number,
  };
  const s = await statementFromChain(src, o.agency as Address, Number(o.from), Number(o.to), (done, total) => {
    if (process.stderr.isTTY && (done === total || done % 20 === 0)) process.stderr.write(`\r  read ${done}/${total} placed loans`);
  });
  if (process.stderr.isTTY) process.stderr.write("\n");
  printJson({
    agency: s.agency,
    from: s.from,
    to: s.to,
    rounding: COMMISSION_ROUNDING,
    lines: s.lines.map((l) => ({
      placementId: String(l.placementId), loanId: String(l.loanId), kind: l.kind, amount: l.amount, paidAt: l.paidAt, unit: l.unit,
      commissionBps: l.commissionBps, commission: l.commission, txHash: l.txHash, blockNumber: l.blockNumber, logIndex: l.logIndex,
    })),
    totals: s.totals.map((t) => ({ placementId: String(t.placementId), unit: t.unit, payments: t.payments, recovered: t.recovered, commission: t.commission })),
    asOf: { block: chainNumber(head.number), timestamp: chainNumber(head.timestamp) },
  });
}

export function registerAgenciesCommand(program: Command): void {
  const agencies = program.command("agencies").description("collection agencies: placements, agency collectors, commission statements (CollectionLog)");
  const sub = (name: string, description: string, options: [string, string][], fn: (raw: Record<string, unknown>) => Promise<void>, keyEnv?: string) => {
    const cmd = agencies.command(name).description(description).showHelpAfterError(false);
    for (const [f, d] of options) cmd.option(f, d);
    if (keyEnv) {
      cmd.addHelpText("after", `\nThe sender's key is read from ${keyEnv} (or --key-env NAME).\nExit status: 0 done, 1 refused or failed on chain, 2 bad input.`);
      withSignerOptions(cmd);
    } else cmd.addHelpText("after", "\nReads the chain only: sends nothing, needs no key.\nExit status: 0 done, 1 failed, 2 bad input.");
    withConnectionOptions(cmd);
    cmd.action(action(cmd, fn));
  };
  sub(
    "place",
    "lender: place loans with an agency (CollectionLog.placeLoans)",
    [
      ["--loans <ids>", `loan ids and ranges, e.g. 1,2,5-9 (at most ${MAX_PLACEMENT_LOANS})`],
      ["--agency <address>", "the agency's address"],
      ["--commission-bps <bps>", "commission on amounts recovered, in basis points (0-10000)"],
      ["--start <time>", "unix seconds or ISO-8601 UTC (default: 30 s after the latest block)"],
      ["--days <n>", "length of the placement in days (or --end)"],
      ["--end <time>", "end of the placement, exclusive (or --days)"],
    ],
    place,
    "LENDER_KEY",
  );
  sub("recall", "lender: recall a placement now; the agency and its collectors lose access at once (CollectionLog.recallPlacement)", [["--placement <id>", "placement id"]], recall, "LENDER_KEY");
  sub(
    "assign",
    "agency: let one of its collectors work loans of an active placement (CollectionLog.assignAgencyCollector)",
    [
      ["--placement <id>", "placement id"],
      ["--loans <ids>", "loan ids of the placement, e.g. 1,2,5-9"],
      ["--collector <address>", "the collector's address"],
    ],
    assign,
    "AGENCY_KEY",
  );
  sub(
    "statement",
    "anyone: an agency's commission statement for [--from, --to), computed from chain events alone",
    [
      ["--agency <address>", "the agency's address"],
      ["--from <time>", "period start, inclusive: unix seconds, a UTC date YYYY-MM-DD or ISO-8601 UTC"],
      ["--to <time>", "period end, exclusive"],
    ],
    statement,
  );
}
