/**
 * Jurisdictions through the API: a loan's `jurisdiction`, and the contact window following the
 * loan's jurisdiction's rules as CollectionLog has them (loaded by the deploy step from the built-in
 * profiles, docs/jurisdictions.md). A US and a GB loan, each called and reached yesterday: the US
 * loan is in Regulation F's 7-day cool-down after a conversation, the GB loan is not. Both dialects.
 */
import { expect } from "chai";
import { keccak256, toHex } from "viem";
import { collectionLogAbi, loanLedgerAbi } from "../../src/chain/abis";
import { DAY } from "../../src/domain";
import { Channel, Kind } from "../../src/domain/collection-types";
import { rpc } from "../support/chain";
import { accountOf, apiFixture, describeEachDialect, sendAs, testLoan, type ApiFixture, type Role } from "./fixture";

describeEachDialect("jurisdictions: a loan's code and its contact rules in the contact window", (dialect) => {
  let f: ApiFixture;
  const ids = { us: 0n, gb: 0n };
  let talkedDay = 0n;

  before(async function () {
    this.timeout(300_000);
    f = await apiFixture(dialect);
    const send = (role: Role, address: `0x${string}`, abi: typeof loanLedgerAbi | typeof collectionLogAbi, functionName: string, args: readonly unknown[]) => sendAs(f, role, address, abi, functionName, args);
    const ledger = f.deployment.loanLedger.address;
    const log = f.deployment.collectionLog.address;
    const t0 = (await f.client.getBlock()).timestamp;
    const first = (await f.client.readContract({ address: ledger, abi: loanLedgerAbi, functionName: "loanCount" })) + 1n;
    const loan = (k: number, jurisdiction: string) =>
      testLoan(f, { ref: `jurisdiction-${k}`, firstDue: t0 + 5n * DAY, installments: 2, interestEach: 1_000_000n, utcOffsetMinutes: 0, jurisdiction });
    await send("lender", ledger, loanLedgerAbi, "registerLoans", [[loan(1, "US-CA"), loan(2, "GB")]]);
    [ids.us, ids.gb] = [first, first + 1n];
    await send("lender", log, collectionLogAbi, "assignCollector", [[ids.us, ids.gb], accountOf("collector").address]);
    // Ten days late, at 10:00 UTC (the borrowers' local time): a call that reaches each borrower.
    talkedDay = (t0 + 15n * DAY) / DAY;
    const at10 = talkedDay * DAY + 10n * 3_600n;
    await rpc(f.node.url, "evm_setNextBlockTimestamp", [Number(at10)]);
    await send("collector", log, collectionLogAbi, "recordAction", [ids.us, Channel.Call, Kind.ContactMade, 1, at10, keccak256(toHex("call us"))]);
    await send("collector", log, collectionLogAbi, "recordAction", [ids.gb, Channel.Call, Kind.ContactMade, 1, at10 + 1n, keccak256(toHex("call gb"))]);
    // The next morning, 10:00.
    await rpc(f.node.url, "evm_setNextBlockTimestamp", [Number(at10 + DAY)]);
    await rpc(f.node.url, "evm_mine", []);
    await f.reindex();
  });
  after(() => f?.close());

  it("serves each loan's jurisdiction as registered", async function () {
    const detail = async (loanId: bigint) => (await (await f.call("lender", `/v1/loans/${loanId}`)).json()) as { jurisdiction: string };
    expect([(await detail(ids.us)).jurisdiction, (await detail(ids.gb)).jurisdiction]).to.deep.equal(["US-CA", "GB"]);
  });

  it("filters the loan list by jurisdiction, a country taking its subdivisions, and refuses a malformed code", async function () {
    const listed = async (q: string) => {
      const res = await f.call("lender", `/v1/loans?limit=200&${q}`);
      expect(res.status, q).to.equal(200);
      return ((await res.json()) as { items: { loanId: string; jurisdiction: string }[] }).items;
    };
    const us = await listed("jurisdiction=US");
    expect(us.map((l) => l.loanId)).to.include(String(ids.us)).and.not.include(String(ids.gb));
    expect(new Set(us.map((l) => l.jurisdiction.slice(0, 2)))).to.deep.equal(new Set(["US"]));
    expect((await listed("jurisdiction=US-CA")).map((l) => l.loanId)).to.deep.equal([String(ids.us)]);
    expect((await listed("jurisdiction=GB")).map((l) => [l.loanId, l.jurisdiction])).to.deep.equal([[String(ids.gb), "GB"]]);
    const bad = await f.call("lender", "/v1/loans?jurisdiction=usa");
    expect(bad.status).to.equal(400);
    expect(((await bad.json()) as { errors: { path: string }[] }).errors[0]!.path).to.equal("query.jurisdiction");
  });

  it("holds a call to the US loan back for 7 days after the conversation (Regulation F), not the GB loan", async function () {
    const windowOf = async (loanId: bigint) => {
      const res = await f.call("collector", `/v1/loans/${loanId}/contact-window?channel=call&kind=contact_made`);
      expect(res.status).to.equal(200);
      return (await res.json()) as { allowedNow: boolean; reasons: string[]; nextAllowedAt: number | null };
    };
    const us = await windowOf(ids.us);
    expect([us.allowedNow, us.reasons]).to.deep.equal([false, ["CoolDown"]]);
    // Eight days after the conversation's day, at the later of the lender's and the profile's (08:00) start hours.
    const lender = await f.client.readContract({ address: f.deployment.collectionLog.address, abi: collectionLogAbi, functionName: "contactPolicyOf", args: [accountOf("lender").address] });
    const start = BigInt(Math.max(lender.contactStartHour, 8));
    expect(us.nextAllowedAt).to.equal(Number((talkedDay + 8n) * DAY + start * 3_600n));
    const gb = await windowOf(ids.gb);
    expect([gb.allowedNow, gb.reasons]).to.deep.equal([true, []]);
  });

  it("shows the same windows in the collector's queue, from the calls read with the page's other side rows", async function () {
    const res = await f.call("collector", "/v1/queue?limit=200");
    expect(res.status).to.equal(200);
    const items = ((await res.json()) as { items: { loanId: string; contactWindow: { allowedNow: boolean; reasons: string[]; nextAllowedAt: number | null } }[] }).items;
    const windowIn = (loanId: bigint) => {
      const w = items.find((i) => i.loanId === String(loanId))?.contactWindow;
      return w && [w.allowedNow, w.reasons];
    };
    expect([windowIn(ids.us), windowIn(ids.gb)]).to.deep.equal([
      [false, ["CoolDown"]],
      [true, []],
    ]);
  });
});
