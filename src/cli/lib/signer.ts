/**
 * Signing for operator commands. The private key never appears on the command line: it is read
 * from an environment variable, LENDER_KEY unless `--key-env <NAME>` names another. Calls are
 * simulated first (so a revert is reported, decoded, before anything is sent), then sent with a
 * viem wallet client and waited for.
 */
import type { Command } from "commander";
import { z } from "zod";
import {
  createWalletClient,
  http,
  type Abi,
  type Address,
  type ContractFunctionArgs,
  type ContractFunctionName,
  type Hex,
  type PrivateKeyAccount,
  type SimulateContractParameters,
  type TransactionReceipt,
  type WalletClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { ConfigError, fromEnvironment } from "../../config";
import { connect, type Connection, type ConnectionOptions } from "./connection";
import { ChainRefusedError, UsageError } from "./errors";

/** The variable read when --key-env is not given. */
export const DEFAULT_KEY_ENV = "LENDER_KEY";

const keyEnvSchema = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "error: --key-env must be an environment variable name");
const privateKeySchema = z.string().regex(/^0x[0-9a-fA-F]{64}$/);

/** Adds --key-env to a command. */
export function withSignerOptions(cmd: Command): Command {
  return cmd.option("--key-env <NAME>", `environment variable holding the sender's private key (default ${DEFAULT_KEY_ENV})`);
}

/**
 * The private key in the variable named by --key-env (default LENDER_KEY, or `defaultEnv`), or in
 * the file named by `<NAME>_FILE`.
 * @throws UsageError when the name is invalid or the variable is unset or not a 32-byte hex key
 *   (the message never echoes the value).
 */
export function readPrivateKey(raw: Record<string, unknown>, defaultEnv: string = DEFAULT_KEY_ENV): Hex {
  const name = keyEnvSchema.safeParse(raw.keyEnv ?? defaultEnv);
  if (!name.success) throw new UsageError(name.error.issues[0]!.message);
  let value: string | undefined;
  try {
    value = fromEnvironment(name.data);
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(`error: ${err.message}`);
    throw err;
  }
  if (value === undefined || value === "") throw new UsageError(`error: ${name.data} is not set: export the sender's private key there (or name another variable with --key-env)`);
  if (!privateKeySchema.safeParse(value).success) throw new UsageError(`error: ${name.data} must be a 0x-prefixed 32-byte hex private key`);
  return value as Hex;
}

/** A connection plus the account that signs. */
export interface Signer extends Connection {
  account: PrivateKeyAccount;
  wallet: WalletClient;
}

/** Connects (see {@link connect}) and builds the wallet client for `privateKey`. */
export async function connectSigner(opts: ConnectionOptions, privateKey: Hex): Promise<Signer> {
  const conn = await connect(opts);
  const account = privateKeyToAccount(privateKey);
  const wallet = createWalletClient({ account, chain: conn.chain, transport: http(opts.rpc, { retryCount: 0, timeout: 60_000 }) });
  return { ...conn, account, wallet };
}

/** One contract call to send. */
export interface ContractCall<abi extends Abi, functionName extends ContractFunctionName<abi, "nonpayable">> {
  address: Address;
  abi: abi;
  functionName: functionName;
  args: ContractFunctionArgs<abi, "nonpayable", functionName>;
  /** Gas limit; estimated by the node when absent. */
  gas?: bigint;
}

/**
 * Simulates `call` from the signer (a revert throws here, decodable with decodeRevert), sends it
 * and waits for its receipt.
 * @throws ChainRefusedError when the mined transaction reverted.
 */
export async function send<const abi extends Abi, functionName extends ContractFunctionName<abi, "nonpayable">>(
  s: Signer,
  call: ContractCall<abi, functionName>,
): Promise<TransactionReceipt> {
  const { request } = await s.client.simulateContract({ ...call, account: s.account, chain: s.chain } as unknown as SimulateContractParameters);
  const hash = await s.wallet.writeContract({ ...request, account: s.account, chain: s.chain } as Parameters<WalletClient["writeContract"]>[0]);
  const receipt = await s.client.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") {
    throw new ChainRefusedError(`error: transaction ${hash} (${call.functionName}) reverted in block ${receipt.blockNumber}`);
  }
  return receipt;
}
