import type { ContractTransactionResponse, LogDescription } from "ethers";
import type { LoanLedger } from "../../../typechain-types";

/** One decoded LoanLedger event, in log order. */
export interface LedgerEvent {
  name: string;
  args: LogDescription["args"];
}

/**
 * The LoanLedger events a transaction emitted, in the order they were logged (the chai `emit`
 * matcher only checks presence, not order). Pass `names` to keep only those events.
 */
export async function ledgerEvents(ledger: LoanLedger, tx: ContractTransactionResponse, names?: string[]): Promise<LedgerEvent[]> {
  const receipt = await tx.wait();
  if (receipt === null) throw new Error("transaction was not mined");
  const address = (await ledger.getAddress()).toLowerCase();
  const out: LedgerEvent[] = [];
  for (const log of receipt.logs) {
    if (log.address.toLowerCase() !== address) continue;
    const parsed = ledger.interface.parseLog(log);
    if (parsed === null) continue;
    if (names === undefined || names.includes(parsed.name)) out.push({ name: parsed.name, args: parsed.args });
  }
  return out;
}

/** The names of the events a transaction emitted, in order. */
export async function ledgerEventNames(ledger: LoanLedger, tx: ContractTransactionResponse): Promise<string[]> {
  return (await ledgerEvents(ledger, tx)).map((e) => e.name);
}
