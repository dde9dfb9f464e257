import type { OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import type { Router } from "express";
import type { ApiServices } from "../context";
import type { DeployedContract } from "../../chain/deployments";
import { UnavailableError } from "../services/errors";
import { z } from "../openapi";
import { route } from "../route";

const Contract = z.object({
  address: z.string(),
  deployedAtBlock: z.number().int().openapi({ description: "Block of the deployment transaction" }),
  transactionHash: z.string(),
});

export const ChainInfo = z
  .object({
    network: z.string(),
    chainId: z.number().int(),
    contracts: z.object({ LoanLedger: Contract, CollectionLog: Contract, TestToken: Contract.optional() }),
  })
  .openapi("ChainInfo");

const contractOut = (c: DeployedContract) => ({ address: c.address, deployedAtBlock: Number(c.startBlock), transactionHash: c.transactionHash });

/**
 * GET /v1/chain: the deployment the API serves (chain id and contract addresses, public facts of the
 * chain), so a client can read the contracts itself (the console's in-browser trail check) or send a
 * lender's transaction from its own wallet, without trusting a copy of the addresses.
 */
export function registerChainRoutes(router: Router, registry: OpenAPIRegistry, services: ApiServices): void {
  route(
    router,
    registry,
    {
      method: "get",
      path: "/v1/chain",
      summary: "The chain and contracts this API indexes",
      description: "The deployment's network name, chain id and contract addresses (from deployments/). 503 when the API runs without a deployment.",
      tags: ["operations"],
      request: {},
      responses: { 200: { description: "The deployment", schema: ChainInfo } },
    },
    async () => {
      const d = services.chain?.deployment;
      if (!d) throw new UnavailableError("this API runs without a deployment (deployments and RPC_URL)");
      return {
        network: d.network,
        chainId: d.chainId,
        contracts: {
          LoanLedger: contractOut(d.loanLedger),
          CollectionLog: contractOut(d.collectionLog),
          ...(d.testToken ? { TestToken: contractOut(d.testToken) } : {}),
        },
      };
    },
  );
}
