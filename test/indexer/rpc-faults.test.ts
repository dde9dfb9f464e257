/**
 * RPC faults: a small HTTP proxy in front of a `hardhat node` injects faults into the JSON-RPC
 * traffic by a seeded random schedule — HTTP 500 and 503, 429 with Retry-After, JSON-RPC error
 * objects (-32000), responses held past the client's timeout, truncated bodies, dropped
 * connections and over-large eth_getLogs responses — and, like a real provider, answers -32005
 * "query returned more than 10000 results" to any eth_getLogs over more than a few blocks. The
 * indexer through the proxy must retry with backoff and split ranges, never skip one, and end with
 * exactly the database a clean index (no proxy) builds; the retry and split metrics must show it.
 *
 * FAULT_SEED picks another schedule (the seed is in every failure message).
 */
import http from "node:http";
import { expect } from "chai";
import pino from "pino";
import { createChainClient } from "../../src/chain/client";
import { loadDeployment } from "../../src/chain/deployments";
import { createIndexer, type Indexer } from "../../src/indexer/indexer";
import { createIndexerMetrics, type IndexerMetrics } from "../../src/indexer/metrics";
import { readCursor } from "../../src/indexer/store";
import { deployTo, rpc, runWorkloadOn, startNode, tempDeploymentsDir, type TestNode } from "../support/chain";
import { dumpDatabase } from "../support/db-dump";
import { cleanDump, createTestDatabase, DEFAULT_OPTIONS, describeEachDialect, expectSameRows, removeTempDirs, rowCount, type Dump } from "./helpers/harness";
import { prng } from "../support/prng";

const SEED = Number(process.env.FAULT_SEED ?? 20_261_128);
/** The client's timeout in this test; "timeout" faults hold a response longer than this. */
const CLIENT_TIMEOUT_MS = 1_500;
/** The client's response size limit; "oversize" faults pad eth_getLogs answers past it. */
const MAX_RESPONSE_BYTES = 1_000_000;
/** eth_getLogs over more blocks than this gets -32005, as providers cap results. */
const MAX_LOGS_BLOCKS = 16;

const FAULTS = ["http-500", "http-503", "http-429", "rpc-32000", "timeout", "truncated", "dropped", "oversize"] as const;
type Fault = (typeof FAULTS)[number];
/** Faults that cost the client seconds (Retry-After, a held response): a few of each are enough. */
const SLOW: Partial<Record<Fault, number>> = { "http-429": 3, timeout: 3 };


interface RpcCall {
  id?: unknown;
  method?: string;
  params?: unknown[];
}

interface FaultProxy {
  url: string;
  /** Faults injected, by kind ("rpc-32005" counts the range rule). */
  injected: Record<string, number>;
  requests: number;
  /** eth_getLogs ranges answered in full (no fault), for the coverage check. */
  served: [number, number][];
  close(): Promise<void>;
}

/**
 * The fault-injecting proxy. Per HTTP request (a single call or a viem batch), with probability
 * `rate` one fault is drawn: a kind not injected yet first (so one run covers every kind), else
 * any kind, slow kinds up to their quota. Requests without eth_getLogs never get "oversize".
 */
async function startFaultProxy(upstream: string, seed: number, rate = 0.2): Promise<FaultProxy> {
  const random = prng(seed);
  const injected: Record<string, number> = {};
  const served: [number, number][] = [];
  const count = (k: string) => (injected[k] = (injected[k] ?? 0) + 1);
  const pick = (hasLogs: boolean): Fault | undefined => {
    if (random() >= rate) return undefined;
    const eligible = FAULTS.filter((f) => (hasLogs || f !== "oversize") && (injected[f] ?? 0) < (SLOW[f] ?? Infinity));
    const unseen = eligible.filter((f) => !injected[f]);
    const from = unseen.length ? unseen : eligible;
    return from.length ? from[Math.floor(random() * from.length)] : undefined;
  };
  const state = { requests: 0 };
  const sockets = new Set<import("node:net").Socket>();

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => void handle(Buffer.concat(chunks).toString("utf8"), req, res));
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  async function handle(body: string, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    res.on("error", () => undefined); // a client that gave up closed the socket under a held response
    state.requests++;
    let parsed: RpcCall | RpcCall[] | undefined;
    try {
      parsed = JSON.parse(body) as RpcCall | RpcCall[];
    } catch {
      parsed = undefined;
    }
    const calls = parsed === undefined ? [] : Array.isArray(parsed) ? parsed : [parsed];
    const hasLogs = calls.some((c) => c.method === "eth_getLogs");
    const fault = pick(hasLogs);
    if (fault) count(fault);
    const send = (status: number, text: string, headers: Record<string, string> = {}) => {
      if (res.destroyed) return;
      res.writeHead(status, { "content-type": "application/json", "content-length": String(Buffer.byteLength(text)), ...headers });
      res.end(text);
    };
    switch (fault) {
      case "http-500":
        return send(500, JSON.stringify({ message: "internal error" }));
      case "http-503":
        return send(503, "upstream unavailable", { "content-type": "text/plain" });
      case "http-429":
        return send(429, "", { "retry-after": "1", "content-type": "text/plain" });
      case "dropped":
        req.socket.destroy();
        return;
      default:
        break;
    }
    let text: string;
    try {
      const up = await fetch(upstream, { method: "POST", headers: { "content-type": "application/json" }, body });
      text = await up.text();
    } catch {
      req.socket.destroy();
      return;
    }
    let answers: { id?: unknown; result?: unknown; error?: unknown }[] | undefined;
    try {
      const a = JSON.parse(text) as unknown;
      answers = Array.isArray(a) ? a : [a as { id?: unknown }];
    } catch {
      answers = undefined;
    }
    const answered: [number, number][] = [];
    if (answers && parsed !== undefined) {
      // The provider rule: eth_getLogs over more than MAX_LOGS_BLOCKS blocks is refused.
      for (const call of calls) {
        if (call.method !== "eth_getLogs") continue;
        const filter = (call.params?.[0] ?? {}) as { fromBlock?: string; toBlock?: string };
        const from = Number(filter.fromBlock);
        const to = Number(filter.toBlock);
        const i = answers.findIndex((a) => a.id === call.id);
        if (i < 0) continue;
        if (to - from + 1 > MAX_LOGS_BLOCKS) {
          answers[i] = { jsonrpc: "2.0", id: call.id, error: { code: -32005, message: "query returned more than 10000 results" } } as never;
          count("rpc-32005");
        } else if (!answers[i].error) {
          answered.push([from, to]);
        }
      }
      if (fault === "rpc-32000") {
        const i = Math.floor(random() * answers.length);
        answers[i] = { jsonrpc: "2.0", id: answers[i].id, error: { code: -32000, message: "header not found" } } as never;
        answered.length = 0;
      }
      text = JSON.stringify(Array.isArray(parsed) ? answers : answers[0]);
    }
    if (fault === "timeout") {
      // Held past the client's timeout, then answered into a socket the client has given up on.
      await new Promise((r) => setTimeout(r, CLIENT_TIMEOUT_MS + 400));
      return send(200, text);
    }
    if (fault === "truncated") {
      // Announce the full length, send half, hang up: the client sees a body cut short.
      if (res.destroyed) return;
      res.writeHead(200, { "content-type": "application/json", "content-length": String(Buffer.byteLength(text)) });
      res.write(text.slice(0, Math.floor(text.length / 2)), () => req.socket.destroy());
      return;
    }
    if (fault === "oversize") {
      // Valid JSON, padded past the client's limit (as a huge result would be).
      return send(200, text + " ".repeat(MAX_RESPONSE_BYTES + 1 - Math.min(MAX_RESPONSE_BYTES, Buffer.byteLength(text))));
    }
    if (fault !== "rpc-32000") served.push(...answered);
    send(200, text);
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as import("node:net").AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    injected,
    get requests() {
      return state.requests;
    },
    served,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

async function counterTotal(c: IndexerMetrics["retries"] | IndexerMetrics["splits"], label?: Record<string, string>): Promise<number> {
  const { values } = await c.get();
  return values
    .filter((v) => !label || Object.entries(label).every(([k, want]) => (v.labels as Record<string, unknown>)[k] === want))
    .reduce((s, v) => s + v.value, 0);
}

/** Merged [from, to] intervals of `ranges`. */
function merge(ranges: [number, number][]): [number, number][] {
  const out: [number, number][] = [];
  for (const [a, b] of [...ranges].sort((x, y) => x[0] - y[0])) {
    const last = out[out.length - 1];
    if (last && a <= last[1] + 1) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

describe("indexer: RPC faults (errors, 429, timeouts, truncated and dropped responses, over-large results)", function () {
  this.timeout(180_000);
  let node: TestNode;
  let deploymentsDir: string;
  let startBlock: number;
  let head: number;

  before(async function () {
    node = await startNode();
    deploymentsDir = tempDeploymentsDir();
    await deployTo(node.url, deploymentsDir);
    // Empty blocks around the activity, so ranges are long enough to be refused and split. (One
    // evm_mine each: hardhat_mine's reserved blocks report a zero parentHash, which breaks the
    // hash chain the indexer checks near the tip.)
    const mine = async (n: number) => {
      for (let i = 0; i < n; i++) await rpc(node.url, "evm_mine");
    };
    await mine(300);
    await runWorkloadOn(node.url, deploymentsDir, { loans: 30, rounds: 2, actions: 2 });
    await mine(100);
    const dep = loadDeployment("localhost", deploymentsDir);
    startBlock = Number(dep.loanLedger.startBlock < dep.collectionLog.startBlock ? dep.loanLedger.startBlock : dep.collectionLog.startBlock);
    head = Number(await rpc<string>(node.url, "eth_blockNumber"));
  });

  after(async function () {
    await node?.stop();
    removeTempDirs();
  });

  describeEachDialect("through the fault proxy", (dialect) => {
    let clean: Dump;
    let proxy: FaultProxy | undefined;
    let indexer: Indexer | undefined;

    before(async function () {
      clean = await cleanDump(node.url, deploymentsDir, dialect);
      expect(rowCount(clean, "raw_logs"), "the workload produced events").to.be.greaterThan(200);
    });

    afterEach(async function () {
      indexer?.stop();
      await proxy?.close();
      proxy = undefined;
    });

    it("retries, splits, skips nothing and converges to the clean index", async function () {
      proxy = await startFaultProxy(node.url, SEED);
      const database = createTestDatabase(dialect, "faults");
      const metrics = createIndexerMetrics();
      const handle = await database.open();
      try {
        indexer = createIndexer({
          client: createChainClient(proxy.url, { timeoutMs: CLIENT_TIMEOUT_MS, maxResponseBodySize: MAX_RESPONSE_BYTES }),
          database: handle,
          deployment: loadDeployment("localhost", deploymentsDir),
          options: { ...DEFAULT_OPTIONS, exitAtTip: true },
          services: { logger: pino({ level: process.env.TEST_INDEXER_LOG ?? "silent" }), metrics },
        });
        await indexer.run();
        const seed = `FAULT_SEED=${SEED}, faults ${JSON.stringify(proxy.injected)} over ${proxy.requests} requests`;

        // Every kind of fault happened, and the indexer got through them.
        for (const f of [...FAULTS, "rpc-32005"]) expect(proxy.injected[f] ?? 0, `${f} injected (${seed})`).to.be.greaterThan(0);
        expect((await readCursor(handle.db))?.blockNumber, `cursor at the tip (${seed})`).to.equal(head);

        // Nothing skipped: the eth_getLogs answers that got through cover every block from the start to the tip.
        const covered = merge(proxy.served.map(([a, b]): [number, number] => [Math.max(a, startBlock), Math.min(b, head)]).filter(([a, b]) => a <= b));
        expect(covered, `blocks covered by eth_getLogs (${seed})`).to.deep.equal([[startBlock, head]]);

        // The same rows, row for row, as the clean index.
        expectSameRows(await dumpDatabase(handle.db), clean, `index through faults (${seed})`);

        // The metrics moved: retries of both kinds, and splits.
        expect(await counterTotal(metrics.retries), `retries (${seed})`).to.be.greaterThan(0);
        expect(await counterTotal(metrics.retries, { method: "eth_getLogs", reason: "range-too-large" }), `range-too-large retries (${seed})`).to.be.greaterThan(0);
        expect(await counterTotal(metrics.retries, { reason: "retryable" }), `retryable retries (${seed})`).to.be.greaterThan(0);
        expect(await counterTotal(metrics.splits), `range splits (${seed})`).to.be.greaterThan(0);
        console.log(
          `      ${proxy.requests} requests, faults ${JSON.stringify(proxy.injected)}; retries ${await counterTotal(metrics.retries)}, splits ${await counterTotal(metrics.splits)} (FAULT_SEED=${SEED})`,
        );
      } finally {
        indexer?.stop();
        await handle.close();
        await database.drop();
      }
    });
  });
});
