/**
 * GET /v1/loans/{loanId}/evidence/bundle: the CLI's evidence bundle (`duetrail evidence export`)
 * served by the API at its indexed block. It must equal what the CLI writes for the same loan at
 * the same block, byte for byte once formatted as the CLI formats it, and carry no personal data.
 */
import type http from "node:http";
import { expect } from "chai";
import { Registry } from "prom-client";
import type { Address } from "viem";
import { createApp } from "../../src/api/app";
import type { Deployment } from "../../src/chain/deployments";
import { buildEvidenceBundle, EVIDENCE_BUNDLE_FORMAT } from "../../src/evidence/bundle";
import { cli } from "../cli/helpers/operator";
import { apiFixture, describeEachDialect, type ApiFixture } from "./fixture";
import { borrowerRefOf, contactOf, storeContact } from "./helpers/notices";

/** How the CLI writes a bundle (--out or stdout). */
const asCliWrites = (bundle: unknown) => `${JSON.stringify(bundle, null, 2)}\n`;

describeEachDialect("GET /v1/loans/{loanId}/evidence/bundle", (dialect) => {
  let f: ApiFixture;

  before(async function () {
    this.timeout(300_000);
    f = await apiFixture(dialect);
  });
  after(async () => f?.close());

  it("equals the CLI's export of the same loan at the same block, and the trail it reports is the evidence view's", async function () {
    this.timeout(120_000);
    const res = await f.call("auditor", "/v1/loans/1/evidence/bundle");
    expect(res.status).to.equal(200);
    expect(res.headers.get("content-disposition")).to.equal('attachment; filename="loan-1-evidence.json"');
    const body = (await res.json()) as any;
    expect(body.format).to.equal(EVIDENCE_BUNDLE_FORMAT);
    const evidence = (await (await f.call("auditor", "/v1/loans/1/evidence")).json()) as any;
    expect(body.asOf.blockNumber).to.equal(evidence.asOf.block);
    expect(body.verification).to.include({ valid: true, count: String(evidence.actions.length), onChainHead: evidence.verification.onChainHead });
    expect(body.events.filter((e: any) => e.name === "ActionRecorded").map((e: any) => e.args.head)).to.deep.equal(evidence.actions.map((a: any) => a.head));

    // The CLI's own code at the API's block ...
    const cliBuilt = await buildEvidenceBundle(f.client, f.deployment, 1n, { block: BigInt(body.asOf.blockNumber) });
    expect(asCliWrites(body)).to.equal(asCliWrites(cliBuilt.bundle));
    // ... and the CLI itself, which reads at the latest block: the same one while nothing is mined.
    expect(Number(await f.client.getBlockNumber())).to.equal(body.asOf.blockNumber);
    const run = await cli(["evidence", "export", "--loan", "1", "--rpc", f.node.url, "--network", "localhost", "--deployments", f.deploymentsDir]);
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.equal(asCliWrites(body));
  });

  it("answers 503 problem+json saying why when the node cannot serve the bundle: another chain, no CollectionLog at the address", async () => {
    const d = f.deployment;
    const stale: Address = "0x000000000000000000000000000000000000dEaD";
    const at = ((await (await f.call("auditor", "/v1/loans/1/evidence")).json()) as { asOf: { block: number } }).asOf.block;
    const cases: [Deployment, string][] = [
      [{ ...d, chainId: d.chainId + 1 }, `the node is chain ${d.chainId}, but deployment ${d.network} is chain ${d.chainId + 1}`],
      [{ ...d, collectionLog: { ...d.collectionLog, address: stale } }, `no CollectionLog at ${stale} on the node (stale deployment ${d.network}?)`],
    ];
    for (const [deployment, why] of cases) {
      const server = await new Promise<http.Server>((resolve) => {
        const s = createApp({ ...f.services, chain: { ...f.services.chain!, deployment }, registry: new Registry() }).listen(0, "127.0.0.1", () => resolve(s));
      });
      try {
        const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/v1/loans/1/evidence/bundle`;
        const res = await fetch(url, { headers: { authorization: `Bearer ${f.tokens.auditor}` } });
        expect(res.status, why).to.equal(503);
        expect(res.headers.get("content-type")).to.match(/^application\/problem\+json/);
        expect(((await res.json()) as { detail: string }).detail).to.equal(`the chain could not be read at block ${at}: ${why}`);
      } finally {
        await new Promise<void>((r) => server.close(() => r()));
      }
    }
  });

  it("carries no personal data: the borrower's stored contact appears nowhere in it", async () => {
    const contact = contactOf(await borrowerRefOf(f, 1), "bundle");
    await storeContact(f, 1, contact);
    const text = await (await f.call("lender", "/v1/loans/1/evidence/bundle")).text();
    for (const secret of [contact.email, contact.phone, contact.postalAddress, "Renmin", "example-mail"]) expect(text).to.not.include(secret);
  });

  it("follows the loan's visibility: another lender and an unassigned collector get 404, as for an unknown loan", async () => {
    for (const role of ["otherLender", "otherCollector"] as const) expect((await f.call(role, "/v1/loans/1/evidence/bundle")).status, role).to.equal(404);
    const unknown = await f.call("auditor", "/v1/loans/9999/evidence/bundle");
    expect(unknown.status).to.equal(404);
    expect(unknown.headers.get("content-type")).to.match(/^application\/problem\+json/);
  });
});
