/**
 * GET /v1/loans/{loanId}/timeline: every event of the loan in chain order, equal to what the
 * chain itself says — the node's logs of both contracts, decoded with viem and the compiled ABIs
 * (the API decodes the stored logs: raw_logs) — whole, and page by page through the cursor.
 */
import { expect } from "chai";
import { decodeEventLog, type Hex } from "viem";
import { collectionLogAbi, loanLedgerAbi } from "../../src/chain/abis";
import { apiFixture, describeEachDialect, type ApiFixture } from "./fixture";

interface TimelineItem {
  block: number;
  logIndex: number;
  timestamp: number;
  txHash: string;
  contract: string;
  event: string;
  args: Record<string, unknown>;
}

const display = (v: unknown) => JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x))) as Record<string, unknown>;

describeEachDialect("GET /v1/loans/{loanId}/timeline", (dialect) => {
  let f: ApiFixture;
  before(async function () {
    this.timeout(300_000);
    f = await apiFixture(dialect);
  });
  after(() => f?.close());

  /** The loan's events from the node: every log of both contracts whose loanId argument is the loan. */
  async function fromChain(loanId: bigint): Promise<TimelineItem[]> {
    const out: TimelineItem[] = [];
    const head = await f.client.getBlockNumber();
    for (const [contract, address, abi] of [
      ["LoanLedger", f.deployment.loanLedger.address, loanLedgerAbi],
      ["CollectionLog", f.deployment.collectionLog.address, collectionLogAbi],
    ] as const) {
      const logs = await f.client.getLogs({ address, fromBlock: 0n, toBlock: head });
      for (const log of logs) {
        const d = decodeEventLog({ abi, topics: log.topics as [Hex, ...Hex[]], data: log.data, strict: true }) as { eventName: string; args: Record<string, unknown> };
        if ((d.args as { loanId?: bigint } | undefined)?.loanId !== loanId) continue;
        const block = await f.client.getBlock({ blockNumber: log.blockNumber! });
        out.push({
          block: Number(log.blockNumber),
          logIndex: log.logIndex!,
          timestamp: Number(block.timestamp),
          txHash: log.transactionHash!,
          contract,
          event: d.eventName,
          args: display(d.args),
        });
      }
    }
    return out.sort((a, b) => a.block - b.block || a.logIndex - b.logIndex);
  }

  for (const loanId of [1n, 2n, 4n]) {
    it(`loan ${loanId}: equals the node's logs of both contracts, decoded, in chain order, whole and page by page`, async function () {
      this.timeout(60_000);
      const expected = await fromChain(loanId);
      expect(expected.length, "the fixture gives the loan events of both contracts").to.be.greaterThan(3);
      expect(new Set(expected.map((e) => e.contract)).size).to.equal(2);

      const whole = (await (await f.call("auditor", `/v1/loans/${loanId}/timeline?limit=500`)).json()) as { items: TimelineItem[]; nextCursor: string | null };
      expect(whole.nextCursor).to.equal(null);
      expect(whole.items).to.deep.equal(expected);

      const paged: TimelineItem[] = [];
      let cursor: string | null = null;
      do {
        const res = await f.call("auditor", `/v1/loans/${loanId}/timeline?limit=2${cursor ? `&cursor=${cursor}` : ""}`);
        expect(res.status).to.equal(200);
        const page = (await res.json()) as { items: TimelineItem[]; nextCursor: string | null };
        expect(page.items.length).to.be.at.most(2);
        paged.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      expect(paged).to.deep.equal(expected);
    });
  }
});
