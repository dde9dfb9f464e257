/**
 * `duetrail policy set --file policy.json`: publishes the lender's collection policy on
 * LoanLedger (it applies to loans registered from then on).
 * `duetrail policy contact --file contact.json`: sets the lender's contact policy on
 * CollectionLog (within the admin's caps).
 *
 * Both files are validated with zod first (every problem as `line N, field X: message`, exit 2,
 * nothing sent), then the call is simulated and sent. Prints JSON: the transaction and the policy.
 */
import type { Command } from "commander";
import { z } from "zod";
import { parseEventLogs } from "viem";
import { collectionLogAbi, loanLedgerAbi } from "../../chain/abis";
import { DomainError, InvalidPolicyError, MAX_REMINDER_STAGES, validatePolicy } from "../../domain";
import { parseConnectionOptions, withConnectionOptions } from "../lib/connection";
import { UsageError, action } from "../lib/errors";
import { amount, int } from "../lib/fields";
import { chainNumber, printJson, readJsonFile } from "../lib/json";
import { connectSigner, readPrivateKey, send, withSignerOptions } from "../lib/signer";

/** LoanLedger's Policy, as a file gives it. */
export const policyFileSchema = z
  .strictObject({
    graceDays: int(0, 90),
    penaltyRateBps: int(0, 65_535),
    lateFee: amount(),
    substandardAfterDays: int(1, 65_535),
    doubtfulAfterDays: int(1, 65_535),
    lossAfterDays: int(1, 65_535),
    defaultAfterDays: int(1, 65_535),
    reminderOffsetsDays: z.array(int(-365, 3650), { error: "must be an array of day offsets" }).max(MAX_REMINDER_STAGES, `at most ${MAX_REMINDER_STAGES} stages`),
  })
  .superRefine((p, ctx) => {
    try {
      validatePolicy(p);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      const field = err instanceof InvalidPolicyError && err.field !== "thresholds" ? err.field : "doubtfulAfterDays";
      ctx.addIssue({ code: "custom", path: [field], message: err.shortMessage });
    }
  });

/** CollectionLog's ContactPolicy, as a file gives it. */
export const contactPolicyFileSchema = z
  .strictObject({
    maxConnectedCallsPerDay: int(1, 255),
    maxCallAttemptsPer7Days: int(1, 255),
    contactStartHour: int(0, 23),
    contactEndHour: int(1, 24),
    legalStageDpd: int(0, 65_535),
    actionWindowDays: int(1, 7),
  })
  .refine((p) => p.contactStartHour < p.contactEndHour, { path: ["contactEndHour"], message: "must be after contactStartHour" });

async function setPolicy(raw: Record<string, unknown>): Promise<void> {
  const file = z.string({ error: "error: --file is required" }).safeParse(raw.file);
  if (!file.success) throw new UsageError(file.error.issues[0]!.message);
  const conn = parseConnectionOptions(raw);
  const key = readPrivateKey(raw);
  const p = readJsonFile(file.data, policyFileSchema, "policy");
  const s = await connectSigner(conn, key);
  const receipt = await send(s, { address: s.deployment.loanLedger.address, abi: loanLedgerAbi, functionName: "setPolicy", args: [p] });
  const [event] = parseEventLogs({ abi: loanLedgerAbi, logs: receipt.logs, eventName: "PolicySet" });
  printJson({
    lender: s.account.address,
    policyId: event?.args.policyId,
    policy: event?.args.policy,
    txHash: receipt.transactionHash,
    blockNumber: chainNumber(receipt.blockNumber),
  });
}

async function setContactPolicy(raw: Record<string, unknown>): Promise<void> {
  const file = z.string({ error: "error: --file is required" }).safeParse(raw.file);
  if (!file.success) throw new UsageError(file.error.issues[0]!.message);
  const conn = parseConnectionOptions(raw);
  const key = readPrivateKey(raw);
  const p = readJsonFile(file.data, contactPolicyFileSchema, "contact policy");
  const s = await connectSigner(conn, key);
  const receipt = await send(s, { address: s.deployment.collectionLog.address, abi: collectionLogAbi, functionName: "setContactPolicy", args: [p] });
  const [event] = parseEventLogs({ abi: collectionLogAbi, logs: receipt.logs, eventName: "ContactPolicySet" });
  printJson({ lender: s.account.address, contactPolicy: event?.args.policy, txHash: receipt.transactionHash, blockNumber: chainNumber(receipt.blockNumber) });
}

/** Registers `policy set` and `policy contact` on the program. */
export function registerPolicyCommand(program: Command): void {
  const policy = program.command("policy").description("lender: collection policy (LoanLedger) and contact policy (CollectionLog)");
  const help = "\nThe sender's key is read from LENDER_KEY (or --key-env NAME).\nExit status: 0 set, 1 refused or failed on chain, 2 bad input (nothing sent).";
  const set = policy
    .command("set")
    .description("publish the lender's collection policy (LoanLedger.setPolicy); loans registered afterwards use it")
    .option("--file <policy.json>", "graceDays, penaltyRateBps, lateFee, substandardAfterDays, doubtfulAfterDays, lossAfterDays, defaultAfterDays, reminderOffsetsDays")
    .showHelpAfterError(false)
    .addHelpText("after", help);
  withSignerOptions(withConnectionOptions(set));
  set.action(action(set, setPolicy));
  const contact = policy
    .command("contact")
    .description("set the lender's contact policy (CollectionLog.setContactPolicy), within the admin's caps")
    .option("--file <contact.json>", "maxConnectedCallsPerDay, maxCallAttemptsPer7Days, contactStartHour, contactEndHour, legalStageDpd, actionWindowDays")
    .showHelpAfterError(false)
    .addHelpText("after", help);
  withSignerOptions(withConnectionOptions(contact));
  contact.action(action(contact, setContactPolicy));
}
