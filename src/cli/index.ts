#!/usr/bin/env node
/**
 * Duetrail's single CLI entry point: `npm run cli -- <command> [options]`.
 * Each command lives in its own module under src/cli/commands and registers
 * itself on the program here; a run loads the module of the command it names only.
 */
import { Command, CommanderError } from "commander";
import { registerCommands } from "./commands";

/** The program with the command `argv` names registered, or all of them (see registerCommands). */
export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  const program = new Command()
    .name("duetrail")
    .description("Duetrail: loan repayment ledger and collection evidence trail")
    .showHelpAfterError()
    .exitOverride();
  await registerCommands(program, argv);
  return program;
}

async function main(argv: string[]): Promise<void> {
  const program = await buildProgram(argv);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit 0; commander's own usage errors exit 2 with its one-line
      // message; our commands choose their status (2 bad input, 1 refused or failed on chain).
      process.exit(err.exitCode === 0 ? 0 : err.code.startsWith("duetrail.") ? err.exitCode : 2);
    }
    throw err;
  }
}

if (require.main === module) {
  main(process.argv).catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
