/**
 * Following new heads over WebSocket (src/indexer/realtime/heads.ts) on a real `hardhat node`: a
 * wait at the tip ends when a block is announced, not at the end of the poll interval; a head
 * announced between waits ends the next wait at once; a WebSocket endpoint that refuses leaves
 * plain polling. And the indexer with a 60 s poll interval indexes a new block within seconds.
 */
import { expect } from "chai";
import pino from "pino";
import { pollingOnly, subscribeHeads } from "../../../src/indexer/realtime/heads";
import { readCursor } from "../../../src/indexer/store";
import { deployTo, freePort, rpc, startNode, tempDeploymentsDir, type TestNode } from "../../support/chain";
import { createTestDatabase, startIndexer, waitUntil, type TestDatabase } from "../helpers/harness";

/** Which settles first: `p`, or `ms` passing ("timeout"). */
async function within<T>(p: Promise<T>, ms: number): Promise<"settled" | "timeout"> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timeout">((r) => (timer = setTimeout(() => r("timeout"), ms)));
  const result = await Promise.race([p.then(() => "settled" as const), timeout]);
  clearTimeout(timer);
  return result;
}

describe("indexer: new heads over WebSocket", function () {
  this.timeout(120_000);
  let node: TestNode;
  const ws = () => node.url.replace(/^http/, "ws");

  before(async () => {
    node = await startNode();
  });
  after(async () => node?.stop());

  it("ends a wait when a block is announced, and the next wait at once for a head announced between waits", async () => {
    const lines: { level: number; msg: string }[] = [];
    const heads = subscribeHeads(ws(), pino({ level: "info" }, { write: (l: string) => void lines.push(JSON.parse(l)) }));
    const warnings = () => lines.filter((l) => l.level >= 40);
    try {
      // Let the subscription open (it says so): a block mined before it is not announced. A fixed
      // 500 ms was not always enough on a loaded 2-core host.
      await waitUntil("the subscription", async () => lines.some((l) => l.msg.startsWith("following new heads")), (open) => open, 30_000);
      const waiting = heads.wait(60_000);
      await rpc(node.url, "evm_mine");
      expect(await within(waiting, 10_000), "the wait ended by the new head").to.equal("settled");

      await rpc(node.url, "evm_mine");
      await new Promise((r) => setTimeout(r, 500));
      expect(await within(heads.wait(60_000), 1_000), "a head announced before the wait").to.equal("settled");
      expect(await within(heads.wait(60_000), 1_000), "no head since").to.equal("timeout");
      expect(warnings()).to.deep.equal([]);
    } finally {
      await heads.stop();
    }
  });

  it("falls back to the poll interval when the WebSocket endpoint refuses, saying so once", async () => {
    const warnings: string[] = [];
    const heads = subscribeHeads(`ws://127.0.0.1:${await freePort()}`, pino({ level: "warn" }, { write: (l: string) => void warnings.push(l) }));
    try {
      const started = Date.now();
      await heads.wait(300);
      await heads.wait(300);
      expect(Date.now() - started).to.be.at.least(550);
      await waitUntil("the warning", async () => warnings.length, (n) => n > 0, 10_000);
      expect(warnings.filter((w) => w.includes("newHeads subscription failed"))).to.have.length(1);
    } finally {
      await heads.stop();
    }
    const polling = pollingOnly();
    expect(await within(polling.wait(50), 1_000)).to.equal("settled");
  });

  it("subscribes again when the node comes back after an outage", async () => {
    const port = await freePort();
    let other = await startNode([], port);
    const lines: { level: number; msg: string }[] = [];
    const heads = subscribeHeads(`ws://127.0.0.1:${port}`, pino({ level: "info" }, { write: (l: string) => void lines.push(JSON.parse(l)) }), 300);
    try {
      await waitUntil("the subscription", async () => lines.filter((l) => l.msg.startsWith("following new heads")).length, (n) => n === 1, 10_000);
      await other.stop();
      await waitUntil("the outage noticed", async () => lines.filter((l) => l.msg.startsWith("newHeads subscription failed")).length, (n) => n === 1, 10_000);
      other = await startNode([], port);
      await waitUntil("the subscription back", async () => lines.filter((l) => l.msg === "newHeads subscription is back").length, (n) => n === 1, 20_000);
      const waiting = heads.wait(60_000);
      await rpc(other.url, "evm_mine");
      expect(await within(waiting, 10_000), "the wait ended by a head from the new node").to.equal("settled");
      expect(lines.filter((l) => l.msg.startsWith("newHeads subscription failed")), "one warning for the outage").to.have.length(1);
    } finally {
      await heads.stop();
      await other.stop();
    }
  });

  describe("the indexer at the tip", () => {
    let database: TestDatabase;
    let deploymentsDir: string;

    before(async () => {
      deploymentsDir = tempDeploymentsDir();
      await deployTo(node.url, deploymentsDir);
      database = createTestDatabase("sqlite", "heads");
    });
    after(async () => database?.drop());

    it("with a 60 s poll interval, indexes a new block within seconds of it being announced", async () => {
      const handle = await database.open();
      const indexer = startIndexer({ rpcUrl: node.url, deploymentsDir, handle, options: { exitAtTip: false, pollIntervalMs: 60_000, rpcWsUrl: ws() } });
      let failure: unknown;
      const running = indexer.run().catch((err) => (failure = err));
      try {
        const head = async () => Number(await rpc<string>(node.url, "eth_blockNumber"));
        const at = await head();
        await waitUntil("the indexer to reach the head", async () => (failure ? Promise.reject(failure) : (await readCursor(handle.db))?.blockNumber), (n) => n === at, 30_000);
        // Let it settle into its wait at the tip, then mine: the poll alone would come a minute later.
        await new Promise((r) => setTimeout(r, 1_000));
        await rpc(node.url, "evm_mine");
        await waitUntil("the new block indexed", async () => (failure ? Promise.reject(failure) : (await readCursor(handle.db))?.blockNumber), (n) => n === at + 1, 10_000);
      } finally {
        indexer.stop();
        await running;
        await handle.close();
      }
    });
  });
});
