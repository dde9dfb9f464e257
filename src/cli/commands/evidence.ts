/**
 * `duetrail evidence export --loan <id> [--out bundle.json]`: an auditor's evidence bundle for
 * one loan, read from the chain alone (no database) as of the latest block: terms, policy,
 * schedule versions, every event and the trail verification (src/evidence/bundle.ts, which the
 * API serves too).
 *
 * Exit 0 when written and the trail is valid, 1 when the trail is not valid (the bundle is still
 * written, and says so), 2 on bad input, an unknown loan, a missing deployment or an unreachable RPC.
 */
import fs from "node:fs";
import type { Command } from "commander";
import { z } from "zod";
import { buildEvidenceBundle } from "../../evidence/bundle";
import { connect, parseConnectionOptions, withConnectionOptions } from "../lib/connection";
import { UsageError, action, asEvidenceUsageError } from "../lib/errors";
import { loanIdFlag } from "../lib/flags";
import { chainNumber, printJson } from "../lib/json";

const optionsSchema = z.object({
  loan: loanIdFlag("--loan"),
  out: z.string().min(1, "error: --out must not be empty").optional(),
});

async function exportBundle(raw: Record<string, unknown>): Promise<void> {
  const parsed = optionsSchema.safeParse(raw);
  if (!parsed.success) throw new UsageError(parsed.error.issues[0]!.message);
  const o = parsed.data;
  const { client, deployment } = await connect(parseConnectionOptions(raw));
  const b = await asEvidenceUsageError(() => buildEvidenceBundle(client, deployment, o.loan));
  const text = `${JSON.stringify(b.bundle, null, 2)}\n`;
  if (o.out) {
    try {
      fs.writeFileSync(o.out, text);
    } catch (err) {
      throw new UsageError(`error: cannot write --out ${o.out}: ${(err as Error).message}`);
    }
    printJson({ out: o.out, loanId: o.loan, asOfBlock: chainNumber(b.block), events: b.events, scheduleVersions: b.scheduleVersions, valid: b.valid });
  } else {
    process.stdout.write(text);
  }
  process.exitCode = b.valid ? 0 : 1;
}

/** Registers `evidence export` on the program. */
export function registerEvidenceCommand(program: Command): void {
  const cmd = program
    .command("evidence")
    .description("auditor: evidence bundles, from the chain alone")
    .command("export")
    .description("export a loan's evidence bundle: terms, schedule versions, every event, trail verification (JSON)")
    .option("--loan <id>", "loan id")
    .option("--out <file>", "write the bundle here (default: stdout)")
    .showHelpAfterError(false)
    .addHelpText("after", "\nExit status: 0 written and the trail valid, 1 trail not valid (bundle still written), 2 bad input, unknown loan or unreachable RPC.");
  withConnectionOptions(cmd);
  cmd.action(action(cmd, exportBundle));
}
