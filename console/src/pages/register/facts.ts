/**
 * What the page validates a file against before anything is signed: the deployment (GET /v1/chain),
 * and the chain's time with the legal cap and the lender's penalty rate, read through the wallet when
 * it is on the deployment's chain (as the CLI reads them), else the indexed chain time the API
 * reports (the cap is then checked when the wallet signs, which validates again at the latest block).
 */
import { useQuery } from "@tanstack/react-query";
import type { Address } from "viem";
import { readRegistrationFacts } from "../../../../src/chain/register-plan";
import type { LoanFileContext } from "../../../../src/files/loan-file";
import { api, must } from "../../api/client";
import { injectedWallet, walletReader } from "../../lib/wallet";

export interface ValidationFacts {
  chainId: number;
  ledger: Address;
  context: LoanFileContext;
  /** Where the time and cap come from. */
  source: "chain" | "api";
}

export function useValidationFacts(lender: string) {
  return useQuery({
    queryKey: ["register-facts", lender],
    queryFn: async (): Promise<ValidationFacts> => {
      const chain = await must(api.GET("/v1/chain"));
      const ledger = chain.contracts.LoanLedger.address as Address;
      const eth = injectedWallet();
      if (eth && Number(await eth.request({ method: "eth_chainId" }).catch(() => -1)) === chain.chainId) {
        const facts = await readRegistrationFacts(walletReader(eth), ledger, lender as Address);
        return { chainId: chain.chainId, ledger, context: facts, source: "chain" };
      }
      const page = await must(api.GET("/v1/loans", { params: { query: { limit: 1 } } }));
      return { chainId: chain.chainId, ledger, context: { now: BigInt(page.asOf.timestamp) }, source: "api" };
    },
  });
}
