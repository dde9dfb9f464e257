/**
 * What a collector works a loan with, on SQLite and PostgreSQL: the loan's promises with their
 * state in GET /v1/loans/{id}, and GET /v1/loans/{id}/contact-window — the fixture's broken promise
 * (loan 2), kept promise (loan 6), restricted SMS (loan 3) and open dispute (loan 4).
 */
import { expect } from "chai";
import { collectionLogAbi } from "../../src/chain/abis";
import { apiFixture, describeEachDialect, type ApiFixture } from "./fixture";

describeEachDialect("api/loan-work", (dialect) => {
  let f: ApiFixture;
  before(async function () {
    this.timeout(300_000);
    f = await apiFixture(dialect);
  });
  after(() => f?.close());

  const json = async (role: "lender" | "collector" | "auditor", path: string) => {
    const res = await f.call(role, path);
    expect(res.status, `${path}: ${await res.clone().text()}`).to.equal(200);
    return (await res.json()) as any;
  };

  it("lists each promise as the chain recorded it, broken when unpaid by its date and kept when paid", async () => {
    const events = await f.client.getContractEvents({ address: f.deployment.collectionLog.address, abi: collectionLogAbi, eventName: "PromiseRecorded", fromBlock: 0n, strict: true });
    const recorded = (loanId: bigint) =>
      events.filter((e) => e.args.loanId === loanId).map((e) => ({ seq: Number(e.args.seq), amount: e.args.amount.toString(), dueBy: Number(e.args.dueBy) }));
    const two = (await json("lender", "/v1/loans/2")).promises;
    expect(two.map(({ seq, amount, dueBy }: any) => ({ seq, amount, dueBy }))).to.deep.equal(recorded(2n));
    expect(two.map((p: any) => p.status)).to.deep.equal(["broken"]);
    const six = (await json("auditor", "/v1/loans/6")).promises;
    expect(six.map(({ seq, amount, dueBy }: any) => ({ seq, amount, dueBy }))).to.deep.equal(recorded(6n));
    expect(six.map((p: any) => p.status)).to.deep.equal(["kept"]);
    expect((await json("lender", "/v1/loans/1")).promises).to.deep.equal([]);
  });

  it("gives the contact window the queue gives, per channel and kind, with the flags a contact would carry", async () => {
    const queue = (await json("collector", "/v1/queue?order=due&limit=500&channel=sms&kind=contact_attempt")).items;
    for (const item of queue) {
      const window = await json("collector", `/v1/loans/${item.loanId}/contact-window?channel=sms&kind=contact_attempt`);
      expect(window, `loan ${item.loanId}`).to.deep.equal(item.contactWindow);
    }
    const sms = await json("lender", "/v1/loans/3/contact-window?channel=sms&kind=contact_attempt");
    expect(sms.allowedNow).to.equal(false);
    expect(sms.reasons).to.include("RestrictedChannel");
    expect(sms.nextAllowedAt).to.equal(null);
    const disputed = await json("lender", "/v1/loans/4/contact-window");
    expect([disputed.channel.name, disputed.kind.name, disputed.allowedNow]).to.deep.equal(["call", "contact_made", false]);
    expect(disputed.reasons).to.include("DisputeOpen");
  });

  it("answers 404 for a loan the caller may not see and 400 for an unknown channel", async () => {
    expect((await f.call("otherLender", "/v1/loans/1/contact-window")).status).to.equal(404);
    const bad = await f.call("lender", "/v1/loans/1/contact-window?channel=pigeon");
    expect(bad.status).to.equal(400);
    expect(JSON.stringify(await bad.json())).to.include("channel");
  });
});
