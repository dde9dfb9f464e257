import type { Command } from "commander";

type Register = (program: Command) => void;

/**
 * Every CLI command: its name and the module that registers it, loaded only when needed. A run
 * names one command (`duetrail index ...`), and loading that command's module alone is what makes
 * it start quickly: all of them together load in about 0.8 s (viem, kysely, express, pdfkit, the
 * notification channels...), `index` alone in about 0.5 s. Later commands add one line here.
 */
export const COMMANDS: readonly { name: string; load: () => Promise<Register> }[] = [
  { name: "schedule", load: () => import("./commands/schedule").then((m) => m.registerScheduleCommand) },
  { name: "index", load: () => import("./commands/index-chain").then((m) => m.registerIndexCommand) },
  { name: "serve", load: () => import("./commands/serve").then((m) => m.registerServeCommand) },
  { name: "token", load: () => import("./commands/token").then((m) => m.registerTokenCommand) },
  { name: "keeper", load: () => import("./commands/keeper").then((m) => m.registerKeeperCommand) },
  { name: "verify", load: () => import("./commands/verify").then((m) => m.registerVerifyCommand) },
  { name: "evidence-hash", load: () => import("./commands/evidence-hash").then((m) => m.registerEvidenceHashCommand) },
  { name: "loans", load: () => import("./commands/loans").then((m) => m.registerLoansCommand) },
  { name: "repayments", load: () => import("./commands/repayments").then((m) => m.registerRepaymentsCommand) },
  { name: "collectors", load: () => import("./commands/collectors").then((m) => m.registerCollectorsCommand) },
  { name: "policy", load: () => import("./commands/policy").then((m) => m.registerPolicyCommand) },
  { name: "evidence", load: () => import("./commands/evidence").then((m) => m.registerEvidenceCommand) },
  { name: "actions", load: () => import("./commands/actions").then((m) => m.registerActionsCommand) },
  { name: "borrowers", load: () => import("./commands/borrowers").then((m) => m.registerBorrowersCommand) },
  { name: "notify", load: () => import("./commands/notify").then((m) => m.registerNotifyCommand) },
  { name: "notices", load: () => import("./commands/notices").then((m) => m.registerNoticesCommand) },
  { name: "strategy", load: () => import("./commands/strategy").then((m) => m.registerStrategyCommand) },
  { name: "relief", load: () => import("./commands/relief").then((m) => m.registerReliefCommand) },
  { name: "agencies", load: () => import("./commands/agencies").then((m) => m.registerAgenciesCommand) },
  { name: "jurisdictions", load: () => import("./commands/jurisdictions").then((m) => m.registerJurisdictionsCommand) },
];

/**
 * Registers the command `argv` names (`argv[2]`, as process.argv holds it), or every command when
 * it names none of them: the program's own help, no command, or an unknown one (which commander
 * then answers with the list, or the nearest name). The order is the list's, as help shows it.
 */
export async function registerCommands(program: Command, argv: readonly string[] = []): Promise<void> {
  const named = COMMANDS.find((c) => c.name === argv[2]);
  const registers = await Promise.all((named ? [named] : COMMANDS).map((c) => c.load()));
  for (const register of registers) register(program);
}
