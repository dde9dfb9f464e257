import type { Command } from "commander";
import { registerScheduleCommand } from "./commands/schedule";

/** Registers every CLI command. Later commands add one line here. */
export function registerCommands(program: Command): void {
  registerScheduleCommand(program);
}
