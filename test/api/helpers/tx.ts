/** Extra transactions in an API test: one call from a fixture role, waited for and checked. */
import { collectionLogAbi, loanLedgerAbi } from "../../../src/chain/abis";
import type { ApiFixture, Role } from "../fixture";

/** Sends `functionName(args)` to LoanLedger ("ledger") or CollectionLog ("log") as `role`; throws if it reverts. */
export async function sendTx(f: ApiFixture, role: Role, contract: "ledger" | "log", functionName: string, args: readonly unknown[]): Promise<void> {
  const w = f.wallet(role);
  const [address, abi] = contract === "ledger" ? [f.deployment.loanLedger.address, loanLedgerAbi] : [f.deployment.collectionLog.address, collectionLogAbi];
  const hash = await w.writeContract({ address, abi, functionName, args, account: w.account!, chain: w.chain } as never);
  const receipt = await f.client.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error(`${role} ${functionName} reverted`);
}
