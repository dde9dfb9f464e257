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
import { DuetrailError } from "../../errors";
import { EvidenceError, LoanNotRegisteredError, NoCollectionLogError, NodeUnreachableError, WrongChainError } from "../../evidence/errors";
import { FileFormatError } from "../../files/errors";
import { PiiError } from "../../pii/errors";

/**
 * Base class of the CLI's own errors: `message` is the line(s) to print as they are, `exitCode`
 * and `code` what commander exits with. Fatal: the same command fails the same way again.
 */
export abstract class CliError extends DuetrailError {
  override name = "CliError";
  abstract readonly exitCode: 1 | 2;
  abstract readonly code: string;
}

/** Bad input, caught before anything is sent: exit 2. `message` is the line(s) to print. */
export class UsageError extends CliError {
  override name = "UsageError";
  readonly exitCode = 2;
  readonly code = "duetrail.usage";
}

/**
 * The chain refused (revert) or a sent transaction failed: exit 1. (Not the chain layer's
 * `ChainError` of src/chain/errors.ts: this one is the CLI's report of a refusal.)
 */
export class ChainRefusedError extends CliError {
  override name = "ChainRefusedError";
  readonly exitCode = 1;
  readonly code = "duetrail.chain";
}

/**
 * Runs one of the shared file readers (src/files), whose "cannot read this file" error becomes
 * the CLI's UsageError with the same message (exit 2).
 */
export function asUsageError<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof FileFormatError) throw new UsageError(err.message, { cause: err });
    throw err;
  }
}

/**
 * An evidence reader's error (src/evidence) as the CLI's UsageError (exit 2), in the lines the CLI
 * has always printed: the node is the one at --rpc, the deployment deployments/<network>.
 */
export function evidenceUsageError(err: EvidenceError): UsageError {
  const options = { cause: err };
  if (err instanceof NodeUnreachableError) return new UsageError(`error: cannot reach --rpc: ${err.reason}`, options);
  if (err instanceof WrongChainError) {
    return new UsageError(`error: --rpc is chain ${err.chainId}, but deployments/${err.network} is chain ${err.expectedChainId}`, options);
  }
  if (err instanceof NoCollectionLogError) {
    return new UsageError(`error: no CollectionLog at ${err.address} on --rpc (stale deployments/${err.network}?)`, options);
  }
  if (err instanceof LoanNotRegisteredError) {
    return new UsageError(`error: loan ${err.loanId} is not registered on ${err.network} (as of block ${err.block})`, options);
  }
  return new UsageError(`error: ${err.shortMessage}`, options);
}

/** Runs one of the evidence readers (src/evidence), whose errors become the CLI's UsageError ({@link evidenceUsageError}). */
export async function asEvidenceUsageError<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof EvidenceError) throw evidenceUsageError(err);
    throw err;
  }
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
  if (err instanceof CliError) cmd.error(err.message, { exitCode: err.exitCode, code: err.code });
  if (err instanceof DeploymentError || err instanceof ConfigError) cmd.error(`error: ${err.message}`, { exitCode: 2, code: "duetrail.usage" });
  // Contact data that does not open (unknown key id, altered row): the message names the row, no data.
  if (err instanceof PiiError) cmd.error(`error: ${err.message}`, { exitCode: 1, code: "duetrail.pii" });
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
