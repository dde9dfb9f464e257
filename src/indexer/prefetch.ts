/**
 * Backfill read-ahead on a worker thread.
 *
 * The indexer's main thread decodes, applies and writes each range in long synchronous stretches
 * (a SQLite transaction is synchronous), and an HTTP answer is only read, and the request that
 * depends on it (the range's block headers) only sent, when that thread's event loop is free: read
 * from the main thread, the node mostly works while the indexer waits. The worker reads ranges
 * ahead on its own event loop — eth_getLogs and the headers of the blocks with logs (all of a
 * short range's headers along with its logs) — and hands each range over whole.
 *
 * It serves the plain path only. Any failure (an RPC or HTTP error, a timeout, an answer over the
 * size limit, a malformed body) makes the request fail, and the indexer reads that range itself
 * with its full handling (splitting, backoff, Retry-After): nothing is skipped or guessed here.
 */
import { Worker } from "node:worker_threads";
import type { Address } from "viem";

export interface PrefetchedRange {
  /** The eth_getLogs answer (JSON-RPC, with its `result` array), as JSON text. */
  answerJson: string;
  /** eth_getBlockByNumber answers (hash, parentHash, number, timestamp), the range's first and last blocks and those with logs at least. */
  headers: { number: number; hash: string; parentHash: string; timestamp: number }[];
}

export interface Prefetcher {
  /** Logs and headers of exactly [from, to]; rejects on any failure. */
  fetch(from: number, to: number, allHeaders: boolean): Promise<PrefetchedRange>;
  close(): Promise<void>;
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { url, addresses, maxBytes, timeoutMs } = workerData;
const hex = (n) => "0x" + n.toString(16);
async function post(body) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), signal: controller.signal });
    if (!res.ok) throw new Error("HTTP " + res.status);
    const reader = res.body.getReader();
    const chunks = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > maxBytes) {
        controller.abort();
        throw new Error("answer over " + maxBytes + " bytes");
      }
      chunks.push(value);
    }
    // A buffer of its own (never a slice of a shared pool): it is transferred to the main thread.
    const bytes = new Uint8Array(size);
    let at = 0;
    for (const c of chunks) {
      bytes.set(c, at);
      at += c.length;
    }
    return bytes;
  } finally {
    clearTimeout(timer);
  }
}
const utf8 = new TextDecoder();
async function headers(blocks) {
  const answers = JSON.parse(utf8.decode(await post(blocks.map((b, i) => ({ jsonrpc: "2.0", id: i, method: "eth_getBlockByNumber", params: [hex(b), false] })))));
  if (!Array.isArray(answers) || answers.length !== blocks.length) throw new Error("malformed batch answer");
  return answers.map((a) => {
    const b = a && a.result;
    if (!b || !b.hash) throw new Error("no block");
    return { number: Number(b.number), hash: b.hash, parentHash: b.parentHash, timestamp: Number(b.timestamp) };
  });
}
parentPort.on("message", async ({ id, from, to, allHeaders }) => {
  try {
    let early;
    if (allHeaders) {
      const blocks = [];
      for (let b = from; b <= to; b++) blocks.push(b);
      early = headers(blocks);
      early.catch(() => undefined);
    }
    const answer = await post({ jsonrpc: "2.0", id: 1, method: "eth_getLogs", params: [{ address: addresses, fromBlock: hex(from), toBlock: hex(to) }] });
    let hs;
    if (early) hs = await early;
    else {
      // The blocks with logs, found in the text (parsing it here would hold a second copy of every
      // log; the main thread parses it, and refuses an answer that is not a result array).
      const wanted = new Set([from, to]);
      const text = utf8.decode(answer);
      for (const m of text.matchAll(/"blockNumber":"(0x[0-9a-fA-F]+)"/g)) wanted.add(Number(m[1]));
      hs = await headers([...wanted].sort((a, b) => a - b));
    }
    parentPort.postMessage({ id, ok: true, answer: answer.buffer, headers: hs }, [answer.buffer]);
  } catch (err) {
    parentPort.postMessage({ id, ok: false, error: String((err && err.message) || err) });
  }
});
`;

export function createPrefetcher(opts: { url: string; addresses: Address[]; maxBytes?: number; timeoutMs?: number }): Prefetcher {
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { url: opts.url, addresses: opts.addresses, maxBytes: opts.maxBytes ?? 10 * 1024 * 1024, timeoutMs: opts.timeoutMs ?? 30_000 },
  });
  worker.unref();
  let nextId = 1;
  const pending = new Map<number, { resolve: (r: PrefetchedRange) => void; reject: (e: Error) => void }>();
  const settle = (id: number) => {
    const p = pending.get(id);
    pending.delete(id);
    if (pending.size === 0) worker.unref();
    return p;
  };
  const utf8 = new TextDecoder();
  worker.on("message", (m: { id: number; ok: boolean; answer?: ArrayBuffer; headers?: PrefetchedRange["headers"]; error?: string }) => {
    const p = settle(m.id);
    if (!p) return;
    if (m.ok) p.resolve({ answerJson: utf8.decode(m.answer!), headers: m.headers! });
    else p.reject(new Error(`prefetch failed: ${m.error}`));
  });
  worker.on("error", (err) => {
    for (const id of [...pending.keys()]) settle(id)?.reject(err);
  });
  return {
    fetch(from, to, allHeaders) {
      return new Promise((resolve, reject) => {
        const id = nextId++;
        // In flight, the worker keeps the process alive (an awaited range must not be abandoned).
        if (pending.size === 0) worker.ref();
        pending.set(id, { resolve, reject });
        worker.postMessage({ id, from, to, allHeaders });
      });
    },
    async close() {
      for (const id of [...pending.keys()]) settle(id)?.reject(new Error("prefetcher closed"));
      await worker.terminate();
    },
  };
}
