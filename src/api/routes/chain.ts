import type { OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import type { Router } from "express";
import type { ApiServices } from "../context";
import type { DeployedContract } from "../../chain/deployments";
import { tokenInfoReader, type TokenInfoOf } from "../../notify/notice-data";
import { scopeOf } from "../auth/middleware";
import { NotFoundError, UnavailableError } from "../services/errors";
import { visibleTo } from "../services/loans";
import { z } from "../openapi";
import { route } from "../route";
import { Address } from "../schemas/common";

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

export const TokenInfoOut = z
  .object({
    address: z.string(),
    symbol: z.string(),
    decimals: z.number().int().openapi({ description: "Amounts of loans settled in this token are integers of 10^-decimals units" }),
  })
  .openapi("TokenInfo");

const TokenParam = z.object({ address: Address.openapi({ param: { name: "address", in: "path" } }) });

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

  let tokenInfo: TokenInfoOf | undefined;
  route(
    router,
    registry,
    {
      method: "get",
      path: "/v1/tokens/:address",
      summary: "An ERC-20 settlement token's symbol and decimals",
      description: [
        "Read from the token contract once per API process. Only for a token that settles a loan the caller may see (404",
        "otherwise), so amounts in minor units can be shown in the token's units. 503 without chain access.",
      ].join(" "),
      tags: ["operations"],
      request: { params: TokenParam },
      responses: { 200: { description: "The token", schema: TokenInfoOut } },
    },
    async ({ params }, req) => {
      const scope = scopeOf(req);
      const stored = [params.address, params.address.toLowerCase()];
      const used = await visibleTo(services.db.selectFrom("loans").select("loans.loan_id"), scope).where("loans.token", "in", stored).limit(1).executeTakeFirst();
      if (!used) throw new NotFoundError(`no loan the caller may see settles in token ${params.address}`);
      const client = services.chain?.client;
      if (!client) throw new UnavailableError("this API runs without chain access (RPC_URL)");
      tokenInfo ??= tokenInfoReader(client);
      try {
        return { address: params.address, ...(await tokenInfo(params.address)) };
      } catch (err) {
        throw new UnavailableError(`token ${params.address}: symbol and decimals could not be read from the chain`, { cause: err });
      }
    },
  );
}
