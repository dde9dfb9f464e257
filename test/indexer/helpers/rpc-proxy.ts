/**
 * A JSON-RPC proxy in front of a test node that counts the headers asked for (eth_getBlockByNumber,
 * single or in a batch) and can add `blockTimestamp` to eth_getLogs answers, as nodes that follow
 * execution-apis#639 do (Hardhat's gives no such field).
 */
import http from "node:http";
import { rpc } from "../../support/chain";

interface RpcCall {
  id?: unknown;
  method?: string;
  params?: unknown[];
}

interface RpcLog {
  blockNumber: string;
  blockTimestamp?: string;
}

export interface RpcProxy {
  url: string;
  /** eth_getBlockByNumber calls asked for, by block. */
  headersAsked: Map<number, number>;
  /** Blocks of the logs the proxy answered with. */
  blocksWithLogs: Set<number>;
  /** With logTimes "skewed": the block one of whose logs got another time. */
  skewed?: number;
  close(): Promise<void>;
}

export interface RpcProxyOptions {
  /**
   * "exact": each log gets its block's time; "skewed": the same, but the second log of the first
   * block with several logs gets its block's time plus an hour. Unset: answers pass unchanged.
   */
  logTimes?: "exact" | "skewed";
}

export async function startRpcProxy(upstream: string, options: RpcProxyOptions = {}): Promise<RpcProxy> {
  const times = new Map<number, string>();
  const timeOf = async (n: number) => {
    let t = times.get(n);
    if (t === undefined) {
      t = (await rpc<{ timestamp: string }>(upstream, "eth_getBlockByNumber", [`0x${n.toString(16)}`, false])).timestamp;
      times.set(n, t);
    }
    return t;
  };
  const proxy: RpcProxy = { url: "", headersAsked: new Map(), blocksWithLogs: new Set(), close: async () => undefined };
  const addTimes = async (logs: RpcLog[]) => {
    const seen = new Map<number, number>();
    for (const l of logs) {
      const n = Number(l.blockNumber);
      l.blockTimestamp = await timeOf(n);
      seen.set(n, (seen.get(n) ?? 0) + 1);
      if (options.logTimes === "skewed" && seen.get(n) === 2 && (proxy.skewed === undefined || proxy.skewed === n)) {
        proxy.skewed = n;
        l.blockTimestamp = `0x${(Number(l.blockTimestamp) + 3_600).toString(16)}`;
      }
    }
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void (async () => {
        const body = Buffer.concat(chunks).toString();
        const parsed = JSON.parse(body) as RpcCall | RpcCall[];
        const calls = Array.isArray(parsed) ? parsed : [parsed];
        for (const c of calls) {
          if (c.method === "eth_getBlockByNumber") {
            const n = Number(c.params![0]);
            proxy.headersAsked.set(n, (proxy.headersAsked.get(n) ?? 0) + 1);
          }
        }
        const answer = await fetch(upstream, { method: "POST", headers: { "content-type": "application/json" }, body });
        const out = (await answer.json()) as { result?: unknown } | { result?: unknown }[];
        const outs = Array.isArray(out) ? out : [out];
        for (const [i, c] of calls.entries()) {
          if (c.method !== "eth_getLogs" || !Array.isArray(outs[i]?.result)) continue;
          const logs = outs[i].result as RpcLog[];
          for (const l of logs) proxy.blocksWithLogs.add(Number(l.blockNumber));
          if (options.logTimes) await addTimes(logs);
        }
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(out));
      })().catch((err: unknown) => {
        res.writeHead(502);
        res.end(String(err));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address() as { port: number };
  proxy.url = `http://127.0.0.1:${address.port}`;
  proxy.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return proxy;
}
