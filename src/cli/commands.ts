import type { Command } from "commander";

/** Registers every CLI command. Later commands add one line here. */
export function registerCommands(program: Command): void {
  void program;
}
