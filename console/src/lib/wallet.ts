/**
 * The browser wallet (EIP-1193, `window.ethereum`) for sending a lender's own transactions: connect,
 * be on the deployment's chain, be the signed-in account, then read and estimate through a viem
 * client on the wallet's transport (the wallet's node, not ours) and send with eth_sendTransaction.
 */
import { createPublicClient, custom, getAddress, numberToHex, type Address, type Hex, type PublicClient } from "viem";

export interface Eip1193 {
  request(args: { method: string; params?: unknown[] }): Promise<unknown>;
}

/** The injected provider, if the browser has one. */
export function injectedWallet(): Eip1193 | undefined {
  return (window as unknown as { ethereum?: Eip1193 }).ethereum;
}

/** Why the wallet cannot send for this session: the views say each in the user's language. */
export type WalletProblem =
  | { kind: "rejected" }
  | { kind: "wrong-chain"; have: number; want: number }
  | { kind: "wrong-account"; have: Address; want: Address };

/** A wallet that cannot send for this session (see {@link WalletProblem}). */
export class WalletError extends Error {
  constructor(readonly problem: WalletProblem) {
    super(problem.kind);
  }
}

/** EIP-1193's "user rejected the request" (4001), anywhere along a viem error's causes. */
export function isUserRejection(err: unknown): boolean {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined; e && typeof e === "object"; e = e.cause as typeof e) {
    if (e.code === 4001) return true;
  }
  return false;
}

/** A read-only viem client over the wallet's own connection (reads, estimates, receipts). */
export function walletReader(eth: Eip1193): PublicClient {
  return createPublicClient({ transport: custom(eth), pollingInterval: 500 }) as PublicClient;
}

/**
 * Asks for the wallet's account, switches it to `chainId` if it is elsewhere, and checks the account
 * is `lender` (the signed-in address).
 * @throws WalletError when the user declines, the wallet stays on another chain, or another account is selected.
 */
export async function connectWallet(eth: Eip1193, chainId: number, lender: string, onSwitch: () => void): Promise<Address> {
  const ask = async (method: string, params?: unknown[]) => {
    try {
      return await eth.request({ method, ...(params ? { params } : {}) });
    } catch (err) {
      if (isUserRejection(err)) throw new WalletError({ kind: "rejected" });
      throw err;
    }
  };
  const [first] = (await ask("eth_requestAccounts")) as string[];
  let have = Number(await ask("eth_chainId"));
  if (have !== chainId) {
    onSwitch();
    try {
      await ask("wallet_switchEthereumChain", [{ chainId: numberToHex(chainId) }]);
    } catch (err) {
      if (err instanceof WalletError) throw err;
      // 4902: the wallet does not know the chain; either way it stays where it is.
    }
    have = Number(await ask("eth_chainId"));
    if (have !== chainId) throw new WalletError({ kind: "wrong-chain", have, want: chainId });
  }
  const account = getAddress(first ?? "0x0000000000000000000000000000000000000000");
  if (account !== getAddress(lender)) throw new WalletError({ kind: "wrong-account", have: account, want: getAddress(lender) });
  return account;
}

/** Sends a call the wallet signs; the transaction's hash. */
export async function sendFromWallet(eth: Eip1193, tx: { from: Address; to: Address; data: Hex; gas: bigint }): Promise<Hex> {
  try {
    return (await eth.request({ method: "eth_sendTransaction", params: [{ from: tx.from, to: tx.to, data: tx.data, gas: numberToHex(tx.gas) }] })) as Hex;
  } catch (err) {
    if (isUserRejection(err)) throw new WalletError({ kind: "rejected" });
    throw err;
  }
}
