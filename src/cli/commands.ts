import type { Command } from "commander";
import { registerScheduleCommand } from "./commands/schedule";
import { registerIndexCommand } from "./commands/index-chain";
import { registerServeCommand } from "./commands/serve";
import { registerTokenCommand } from "./commands/token";
import { registerKeeperCommand } from "./commands/keeper";
import { registerVerifyCommand } from "./commands/verify";
import { registerEvidenceHashCommand } from "./commands/evidence-hash";
import { registerLoansCommand } from "./commands/loans";
import { registerRepaymentsCommand } from "./commands/repayments";
import { registerCollectorsCommand } from "./commands/collectors";
import { registerPolicyCommand } from "./commands/policy";
import { registerEvidenceCommand } from "./commands/evidence";
import { registerActionsCommand } from "./commands/actions";
import { registerBorrowersCommand } from "./commands/borrowers";
import { registerNotifyCommand } from "./commands/notify";
import { registerNoticesCommand } from "./commands/notices";
import { registerStrategyCommand } from "./commands/strategy";
import { registerReliefCommand } from "./commands/relief";
import { registerAgenciesCommand } from "./commands/agencies";
import { registerJurisdictionsCommand } from "./commands/jurisdictions";

/** Registers every CLI command. Later commands add one line here. */
export function registerCommands(program: Command): void {
  registerScheduleCommand(program);
  registerIndexCommand(program);
  registerServeCommand(program);
  registerTokenCommand(program);
  registerKeeperCommand(program);
  registerVerifyCommand(program);
  registerEvidenceHashCommand(program);
  registerLoansCommand(program);
  registerRepaymentsCommand(program);
  registerCollectorsCommand(program);
  registerPolicyCommand(program);
  registerEvidenceCommand(program);
  registerActionsCommand(program);
  registerBorrowersCommand(program);
  registerNotifyCommand(program);
  registerNoticesCommand(program);
  registerStrategyCommand(program);
  registerReliefCommand(program);
  registerAgenciesCommand(program);
  registerJurisdictionsCommand(program);
}
