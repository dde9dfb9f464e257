/**
 * GET /v1/chain: the deployment the API indexes (chain id, contract addresses and deployment blocks),
 * equal to deployments/; 503 problem+json when the API runs without a chain.
 */
import { expect } from "chai";
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
