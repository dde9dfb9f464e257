/**
 * `duetrail verify`: recomputes a loan's collection trail from its ActionRecorded events and
 * compares it with the contract's trailOf, both at one block, trusting neither us nor a database.
 *
 *   npm run cli -- verify --rpc http://127.0.0.1:8545 --network localhost --loan 1
 *   npm run cli -- verify --rpc http://127.0.0.1:8545 --network localhost --all
 *
 * --all verifies every loan that has actions (found from the ActionRecorded logs), all at one
 * block, and prints a summary with a valid flag per loan.
 * The verification itself is src/evidence/verify.ts (the evidence bundle's too).
 * Prints JSON (bigints as decimal strings). Exit 0 when the trail is (every trail is) valid, 1
 * when not, 2 on bad input, a missing deployment or an unreachable RPC (one line on stderr).
 */
import type { Command } from "commander";
import { z } from "zod";
import { BaseError, createPublicClient, http, type PublicClient } from "viem";
import { DeploymentError, loadDeployment } from "../../chain/deployments";
import { verifyAllLoans, verifyAllReportToJson, verifyLoan, verifyReportToJson } from "../../evidence/verify";
import { parseConnectionOptions } from "../lib/connection";
import { UsageError, asEvidenceUsageError, oneLine } from "../lib/errors";

/** A bad flag or combination of flags: exit 2, like every problem the user can fix (missing deployment, unreachable node). */
export class VerifyUsageError extends UsageError {
  override name = "VerifyUsageError";
}

const isHttpUrl = (s: string) => {
  try {
    const u = new URL(s);
    return u.protocol === "http:" || u.protocol === "https:";
  } catch {
    return false;
  }
};
const required = (flag: string, message: string) => ({
  error: (issue: { input?: unknown }) => (issue.input === undefined ? `error: ${flag} is required` : `error: ${flag} ${message}`),
});

/** The options, validated; each message is the one line to print. */
export const verifyOptionsSchema = z.object({
  rpc: z.string(required("--rpc", "must be an http(s) URL")).refine(isHttpUrl, "error: --rpc must be an http(s) URL"),
  network: z
    .string(required("--network", "must be a deployment name"))
    .regex(/^[A-Za-z0-9_-]+$/, "error: --network must be a deployment name (letters, digits, - and _)"),
  loan: z
    .string(required("--loan", "must be a positive integer"))
    .regex(/^[1-9][0-9]{0,77}$/, "error: --loan must be a positive integer")
    .transform((s) => BigInt(s))
    .refine((v) => v < 1n << 256n, "error: --loan must be below 2^256"),
});

/** Validated options of `verify`. */
export type VerifyOptions = z.infer<typeof verifyOptionsSchema>;

/**
 * Validates raw commander options.
 * @throws VerifyUsageError whose message names the first bad flag.
 */
export function parseVerifyOptions(raw: Record<string, unknown>): VerifyOptions {
  const parsed = verifyOptionsSchema.safeParse(raw);
  if (!parsed.success) throw new VerifyUsageError(parsed.error.issues[0].message);
  return parsed.data;
}

/** Registers `verify` on the program. */
export function registerVerifyCommand(program: Command): void {
  const cmd = program
    .command("verify")
    .description("Recompute a loan's (or every loan's) collection trail from the chain's events and compare it with trailOf")
    .option("--rpc <url>", "JSON-RPC endpoint, http or https (env RPC_URL, default http://127.0.0.1:8545)")
    .option("--network <name>", "deployment to read from deployments/<name>/ (env NETWORK, default localhost)")
    .option("--deployments <dir>", "deployments folder (env DEPLOYMENTS_DIR, default ./deployments)")
    .option("--loan <id>", "loan id (a positive integer)")
    .option("--all", "every loan with actions (from the ActionRecorded logs): a summary with a valid flag per loan")
    .showHelpAfterError(false)
    .addHelpText("after", "\nExit status: 0 valid (all valid), 1 not valid (any not), 2 bad input, missing deployment or unreachable RPC.");
  cmd.action(async (raw: Record<string, unknown>) => {
    try {
      if (raw.all === true && raw.loan !== undefined) throw new VerifyUsageError("error: give --loan <id> or --all, not both");
      // Flags over environment over defaults (src/config), as the other operator commands.
      const conn = parseConnectionOptions(raw);
      const opts = parseVerifyOptions({ rpc: conn.rpc, network: conn.network, loan: raw.all === true ? "1" : raw.loan });
      const deployment = loadDeployment(opts.network, conn.deployments);
      const client = createPublicClient({ transport: http(opts.rpc, { retryCount: 1, timeout: 15_000 }) }) as PublicClient;
      if (raw.all === true) {
        const report = await asEvidenceUsageError(() => verifyAllLoans(client, deployment));
        process.stdout.write(`${JSON.stringify(verifyAllReportToJson(report), null, 2)}\n`);
        process.exitCode = report.valid ? 0 : 1;
        return;
      }
      const report = await asEvidenceUsageError(() => verifyLoan(client, deployment, opts.loan));
      process.stdout.write(`${JSON.stringify(verifyReportToJson(report), null, 2)}\n`);
      process.exitCode = report.valid ? 0 : 1;
    } catch (err) {
      if (err instanceof UsageError) cmd.error(err.message, { exitCode: 2, code: "duetrail.usage" });
      if (err instanceof DeploymentError) cmd.error(`error: ${err.message}`, { exitCode: 2, code: "duetrail.usage" });
      if (err instanceof BaseError) cmd.error(`error: RPC failed: ${oneLine(err)}`, { exitCode: 2, code: "duetrail.rpc" });
      throw err;
    }
  });
}
