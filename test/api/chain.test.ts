/**
 * GET /v1/chain: the deployment the API indexes (chain id, contract addresses and deployment blocks),
 * equal to deployments/; 503 problem+json when the API runs without a chain.
 */
import { expect } from "chai";
import { erc20Abi, getAddress } from "viem";
import { apiFixture, type ApiFixture } from "./fixture";

describe("api/chain", function () {
  this.timeout(300_000);
  let f: ApiFixture;
  let bare: ApiFixture;
  before(async () => {
    f = await apiFixture("sqlite");
    bare = await apiFixture("sqlite", { noChain: true });
  });
  after(async () => {
    await f?.close();
    await bare?.close();
  });

  it("names the deployment's network, chain id and contracts as deployments/ records them", async () => {
    const res = await f.call("auditor", "/v1/chain");
    expect(res.status).to.equal(200);
    const d = f.deployment;
    const contract = (c: typeof d.loanLedger) => ({ address: c.address, deployedAtBlock: Number(c.startBlock), transactionHash: c.transactionHash });
    expect(await res.json()).to.deep.equal({
      network: d.network,
      chainId: d.chainId,
      contracts: { LoanLedger: contract(d.loanLedger), CollectionLog: contract(d.collectionLog), ...(d.testToken ? { TestToken: contract(d.testToken) } : {}) },
    });
  });

  it("is 503 problem+json without a deployment", async () => {
    const res = await bare.call("lender", "/v1/chain");
    expect(res.status).to.equal(503);
    expect(res.headers.get("content-type")).to.match(/^application\/problem\+json/);
    expect(((await res.json()) as { detail: string }).detail).to.match(/without a deployment/);
  });
});

describe("api/tokens", function () {
  this.timeout(300_000);
  let f: ApiFixture;
  before(async () => {
    f = await apiFixture("sqlite");
  });
  after(() => f?.close());

  it("gives a settlement token's symbol and decimals as the token contract answers them", async () => {
    const loans = (await (await f.call("lender", "/v1/loans?limit=500")).json()) as { items: { settlement: { token: string | null } }[] };
    const token = loans.items.map((l) => l.settlement.token).find((t): t is string => t !== null);
    expect(token, "the fixture has a token-settled loan").to.be.a("string");
    const address = token as `0x${string}`;
    const [symbol, decimals] = await Promise.all([
      f.client.readContract({ address, abi: erc20Abi, functionName: "symbol" }),
      f.client.readContract({ address, abi: erc20Abi, functionName: "decimals" }),
    ]);
    for (const asked of [address, address.toLowerCase()]) {
      const res = await f.call("lender", `/v1/tokens/${asked}`);
      expect(res.status).to.equal(200);
      expect(await res.json()).to.deep.equal({ address: getAddress(address), symbol, decimals });
    }
  });

  it("is 404 for an address no visible loan settles in, and 400 for a malformed one", async () => {
    const res = await f.call("auditor", `/v1/tokens/${f.deployment.loanLedger.address}`);
    expect(res.status).to.equal(404);
    expect(((await res.json()) as { detail: string }).detail).to.match(/no loan the caller may see settles in token/);
    expect((await f.call("auditor", "/v1/tokens/0x1234")).status).to.equal(400);
  });
});
