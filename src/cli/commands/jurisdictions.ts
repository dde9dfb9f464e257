/**
 * `duetrail jurisdictions show|set-cap|set-rules`: a jurisdiction's rate cap (LoanLedger) and contact
 * rules (CollectionLog) after the deploy step loaded the built-in profiles (docs/jurisdictions.md).
 * Setting them is the admin's (DEFAULT_ADMIN_ROLE): the key comes from ADMIN_KEY (or --key-env).
 *
 *   npm run cli -- jurisdictions show --jurisdiction US-NY
 *   ADMIN_KEY=0x... npm run cli -- jurisdictions set-cap --jurisdiction CN --bps 1200
 *   ADMIN_KEY=0x... npm run cli -- jurisdictions set-rules --jurisdiction US --hours 8-21 --calls-per-7-days 7 --cool-down-days 7
 */
import type { Command } from "commander";
import { z } from "zod";
import { collectionLogAbi, loanReliefAbi } from "../../chain/abis";
import { JURISDICTION_PATTERN, encodeJurisdiction } from "../../domain/jurisdiction";
import { profileOf } from "../../jurisdictions/profiles";
import { connect, parseConnectionOptions, withConnectionOptions, type Connection } from "../lib/connection";
import { UsageError, action } from "../lib/errors";
import { parseFlags } from "../lib/flags";
import { chainNumber, printJson } from "../lib/json";
import { connectSigner, readPrivateKey, send, withSignerOptions } from "../lib/signer";

const jurisdiction = z
  .string({ error: "error: --jurisdiction is required" })
  .regex(JURISDICTION_PATTERN, "error: --jurisdiction must be an ISO 3166 code such as CN, GB or US-CA");
const small = (name: string, max: number) =>
  z
    .string()
    .regex(/^\d{1,5}$/, `error: ${name} must be a whole number from 0 to ${max}`)
    .transform(Number)
    .refine((n) => n <= max, `error: ${name} must be a whole number from 0 to ${max}`);
const hours = z
  .string({ error: "error: --hours is required (local contact hours, e.g. 8-21)" })
  .regex(/^\d{1,2}-\d{1,2}$/, "error: --hours must be START-END in local hours, e.g. 8-21")
  .transform((s) => s.split("-").map(Number) as [number, number])
  .refine(([a, b]) => a < b && b <= 24, "error: --hours must be START-END with START < END <= 24");

/** The cap and rules that apply under a code, as the contracts answer. */
async function current(c: Pick<Connection, "client" | "deployment">, code: string) {
  const j = encodeJurisdiction(code);
  const [[effectiveBps, ownBps], [rules, set]] = await Promise.all([
    c.client.readContract({ address: c.deployment.loanLedger.address, abi: loanReliefAbi, functionName: "jurisdictionCapOf", args: [j] }),
    c.client.readContract({ address: c.deployment.collectionLog.address, abi: collectionLogAbi, functionName: "jurisdictionRulesOf", args: [j] }),
  ]);
  return { jurisdiction: code, cap: { effectiveBps, ownBps }, contactRules: set ? rules : null, builtInProfile: profileOf(code)?.name ?? null };
}

async function show(raw: Record<string, unknown>): Promise<void> {
  const o = parseFlags({ jurisdiction }, raw);
  printJson(await current(await connect(parseConnectionOptions(raw)), o.jurisdiction));
}

async function setCap(raw: Record<string, unknown>): Promise<void> {
  const o = parseFlags({ jurisdiction, bps: small("--bps", 65_535) }, raw);
  const s = await connectSigner(parseConnectionOptions(raw), readPrivateKey(raw, "ADMIN_KEY"));
  const receipt = await send(s, { address: s.deployment.loanLedger.address, abi: loanReliefAbi, functionName: "setJurisdictionCap", args: [encodeJurisdiction(o.jurisdiction), o.bps] });
  printJson({ txHash: receipt.transactionHash, blockNumber: chainNumber(receipt.blockNumber), ...(await current(s, o.jurisdiction)) });
}

async function setRules(raw: Record<string, unknown>): Promise<void> {
  const o = parseFlags(
    {
      jurisdiction,
      remove: z.boolean().optional(),
      hours: hours.optional(),
      callsPerDay: small("--calls-per-day", 255).default(0),
      callsPer7Days: small("--calls-per-7-days", 255).default(0),
      coolDownDays: small("--cool-down-days", 7).default(0),
    },
    raw,
  );
  const s = await connectSigner(parseConnectionOptions(raw), readPrivateKey(raw, "ADMIN_KEY"));
  const log = s.deployment.collectionLog.address;
  const j = encodeJurisdiction(o.jurisdiction);
  let receipt;
  if (o.remove) receipt = await send(s, { address: log, abi: collectionLogAbi, functionName: "removeJurisdictionRules", args: [j] });
  else {
    if (!o.hours) throw new UsageError("error: --hours is required (local contact hours, e.g. 8-21), or --remove");
    const rules = { contactStartHour: o.hours[0], contactEndHour: o.hours[1], maxConnectedCallsPerDay: o.callsPerDay, maxCallAttemptsPer7Days: o.callsPer7Days, coolDownDaysAfterConversation: o.coolDownDays };
    receipt = await send(s, { address: log, abi: collectionLogAbi, functionName: "setJurisdictionRules", args: [j, rules] });
  }
  printJson({ txHash: receipt.transactionHash, blockNumber: chainNumber(receipt.blockNumber), ...(await current(s, o.jurisdiction)) });
}

export function registerJurisdictionsCommand(program: Command): void {
  const cmd = program.command("jurisdictions").description("a jurisdiction's rate cap and contact rules on chain (docs/jurisdictions.md)");
  const sub = (name: string, description: string, options: [string, string][], fn: (raw: Record<string, unknown>) => Promise<void>, admin: boolean) => {
    const c = cmd.command(name).description(description).showHelpAfterError(false);
    for (const [f, d] of options) c.option(f, d);
    if (admin) {
      c.addHelpText("after", "\nThe admin's key is read from ADMIN_KEY (or --key-env NAME).\nExit status: 0 done, 1 refused or failed on chain, 2 bad input.");
      withSignerOptions(c);
    }
    withConnectionOptions(c);
    c.action(action(c, fn));
  };
  const code: [string, string] = ["--jurisdiction <code>", "ISO 3166 code: a country (CN) or a subdivision (US-NY)"];
  sub("show", "the cap and contact rules that apply under a code (its own, else its country's, else the global cap)", [code], show, false);
  sub("set-cap", "admin: a code's own cap on contract + penalty rate, bps a year, for loans registered from now on (0: none of its own)", [code, ["--bps <n>", "the cap in basis points"]], setCap, true);
  sub(
    "set-rules",
    "admin: a code's contact rules, which every lender's policy is tightened by (or --remove them)",
    [
      code,
      ["--hours <start-end>", "local contact hours, e.g. 8-21 (contact allowed from start, before end)"],
      ["--calls-per-day <n>", "connected calls a day (0: no limit of its own)"],
      ["--calls-per-7-days <n>", "call attempts in 7 days (0: no limit of its own)"],
      ["--cool-down-days <n>", "days without calls after a conversation, at most 7 (default 0)"],
      ["--remove", "remove the code's own rules (its country's, if any, then apply)"],
    ],
    setRules,
    true,
  );
}
