/**
 * How every command fails (the CLI's one error path): a command throws, {@link failCommand} turns
 * the error into commander's `cmd.error` and src/cli/index.ts exits with its status. One line on
 * stderr starting `error: `; exit 2 for what the user can fix before anything is sent (bad flag,
 * setting or file, missing deployment or key, unreachable RPC), exit 1 when the chain refuses or a
 * transaction fails.
 */
import type { Command } from "commander";
import { BaseError } from "viem";
import { DeploymentError } from "../../chain/deployments";
import { ConfigError } from "../../config";
import { decodeRevert } from "../../chain/revert";

/** Bad input, caught before anything is sent: exit 2. `message` is the line(s) to print. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** The chain refused (revert) or a sent transaction failed: exit 1. */
export class ChainError extends Error {
  override name = "ChainError";
}

/** The first line of an error's short message. */
export function oneLine(err: unknown): string {
  const text = err instanceof BaseError ? err.shortMessage : err instanceof Error ? err.message : String(err);
  return text.split("\n")[0]!;
}

/**
 * Maps an error thrown by a command to its message and exit status via `cmd.error` (which index.ts
 * turns into the exit status). Reverts are named with their decoded custom error.
 */
export function failCommand(cmd: Command, err: unknown): never {
  // The message says what is wrong; commander's help after it is for its own parse errors only.
  cmd.showHelpAfterError(false);
  if (err instanceof UsageError) cmd.error(err.message, { exitCode: 2, code: "duetrail.usage" });
  if (err instanceof DeploymentError || err instanceof ConfigError) cmd.error(`error: ${err.message}`, { exitCode: 2, code: "duetrail.usage" });
  if (err instanceof ChainError) cmd.error(err.message, { exitCode: 1, code: "duetrail.chain" });
  const revert = decodeRevert(err);
  if (revert) cmd.error(`error: reverted: ${revert.text}`, { exitCode: 1, code: "duetrail.revert" });
  if (err instanceof BaseError) cmd.error(`error: RPC failed: ${oneLine(err)}`, { exitCode: 1, code: "duetrail.rpc" });
  throw err;
}

/** Wraps a command action so that every failure goes through {@link failCommand}. */
export function action<A extends unknown[]>(cmd: Command, fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      failCommand(cmd, err);
    }
  };
}
