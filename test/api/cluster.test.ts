/**
 * `serve --workers N`: several API processes behind one port (src/api/cluster.ts), run as users
 * run it (node dist/cli/index.js). Every worker answers on the one port, /metrics adds up every
 * worker's counters, a worker that dies is replaced, SIGTERM stops them all, and relaying is
 * refused with more than one worker.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { expect } from "chai";
import { getAddress } from "viem";
import { openDatabase } from "../../src/db/connect";
import { serviceToken } from "../../src/api/auth/tokens";
import { killIndexerProcesses, spawnDistCli, tempDir, waitUntil, type IndexerProcess } from "../indexer/helpers/harness";

const REPO_ROOT = path.resolve(__dirname, "..", "..");

/** The pids of `pid`'s child processes. */
function childrenOf(pid: number): number[] {
  const out = execFileSync("ps", ["-o", "pid=", "--ppid", String(pid)], { encoding: "utf8" }).trim();
  return out ? out.split(/\s+/).map(Number) : [];
}

/** One GET on a fresh connection (the cluster hands out connections, not requests). */
function get(url: string, token?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false, headers: { connection: "close", ...(token ? { authorization: `Bearer ${token}` } : {}) } }, (res) => {
        let body = "";
        res.on("data", (d: Buffer) => (body += d.toString()));
        res.on("end", () => resolve({ status: res.statusCode!, body }));
      })
      .on("error", reject);
  });
}

/** An indexed cursor in `file`, so that responses have a generation to be cached for. */
async function withCursor(file: string): Promise<void> {
  const handle = await openDatabase(file);
  try {
    await handle.db.insertInto("cursor").values({ id: 1, chain_id: 31337, block_number: 10, block_hash: "0xaa", block_timestamp: 1_000 }).onConflict((oc) => oc.doNothing()).execute();
  } finally {
    await handle.close();
  }
}

describe("serve --workers (Node's cluster)", function () {
  this.timeout(120_000);
  let dir: string;
  let db: string;
  let serve: IndexerProcess | undefined;

  before(async function () {
    execFileSync(process.execPath, [path.join(REPO_ROOT, "scripts", "prepare-cli.js")], { cwd: REPO_ROOT, stdio: "ignore" });
    dir = tempDir("cluster");
    db = path.join(dir, "api.db");
    await (await openDatabase(db)).close();
  });
  afterEach(async () => {
    await killIndexerProcesses();
    serve = undefined;
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const start = (workers: number, env: NodeJS.ProcessEnv = {}) =>
    spawnDistCli("serve", ["--db", db, "--port", "0", "--workers", String(workers), "--deployments", path.join(dir, "none"), "--evidence-dir", path.join(dir, "evidence"), "--log-level", "info"], {
      API_TOKEN_SECRET: "cluster-test-secret-0123456789abcdef",
      RELAYER_KEY: "",
      ...env,
    });

  it("serves one port from N processes, adds up their metrics, replaces a worker that dies and stops them all on SIGTERM", async () => {
    serve = start(2);
    const listening = await serve.waitForLog("API listening", 60_000);
    expect(listening.workers).to.equal(2);
    const url = listening.url as string;
    const workers = childrenOf(serve.child.pid!);
    expect(workers, "worker processes").to.have.length(2);

    for (let i = 0; i < 30; i++) expect((await get(`${url}/healthz`)).status).to.equal(200);
    const metrics = (await get(`${url}/metrics`)).body;
    const count = Number(/^duetrail_api_request_duration_seconds_count\{[^}]*route="\/healthz"[^}]*status="200"[^}]*\} (\d+)/m.exec(metrics)?.[1]);
    expect(count, "requests counted by every worker together").to.equal(30);

    process.kill(workers[0]!, "SIGKILL");
    const replaced = await waitUntil("a replacement worker", async () => childrenOf(serve!.child.pid!), (pids) => pids.length === 2 && !pids.includes(workers[0]!), 30_000, 200);
    await waitUntil("the replacement to listen", async () => serve!.logs.filter((l) => l.msg === "API worker listening").length, (n) => n === 3, 30_000, 100);
    for (let i = 0; i < 10; i++) expect((await get(`${url}/healthz`)).status).to.equal(200);

    serve.child.kill("SIGTERM");
    expect((await serve.exited).code).to.equal(0);
    for (const pid of replaced) expect(() => process.kill(pid, 0), `worker ${pid} still running`).to.throw();
  });

  it("with API_METRICS_PORT, the primary serves every worker's metrics there and the API port has none", async () => {
    serve = start(2, { API_METRICS_PORT: "0" });
    const listening = await serve.waitForLog("API listening", 60_000);
    const url = listening.url as string;
    const metricsUrl = listening.metrics as string;
    expect(metricsUrl).to.not.equal(`${url}/metrics`);
    for (let i = 0; i < 12; i++) expect((await get(`${url}/healthz`)).status).to.equal(200);
    expect((await get(`${url}/metrics`)).status).to.equal(404);
    const metrics = (await get(metricsUrl)).body;
    const count = Number(/^duetrail_api_request_duration_seconds_count\{[^}]*route="\/healthz"[^}]*status="200"[^}]*\} (\d+)/m.exec(metrics)?.[1]);
    expect(count).to.equal(12);
  });

  it("shares the response cache's lists between workers, so a queue made by one is a hit on the other", async () => {
    await withCursor(db);
    serve = start(2);
    const url = (await serve.waitForLog("API listening", 60_000)).url as string;
    const token = serviceToken(getAddress(`0x${"c0".repeat(20)}`), "cluster-test-secret-0123456789abcdef", 600).token;
    const counts = async () => {
      const metrics = (await get(`${url}/metrics`)).body;
      const of = (outcome: string) => Number(new RegExp(`^duetrail_api_response_cache_total\\{outcome="${outcome}"\\} (\\d+)`, "m").exec(metrics)?.[1] ?? 0);
      return { hit: of("hit"), miss: of("miss") };
    };
    // Each request on a connection of its own: the primary hands connections to the workers in turn.
    const first = await get(`${url}/v1/queue`, token);
    expect(first.status, first.body).to.equal(200);
    // The worker published the queue before answering; the primary forwards it to the other worker
    // before it gathers the metrics asked for after the answer (one channel each, in order).
    expect(await counts()).to.deep.equal({ hit: 0, miss: 1 });
    for (let i = 0; i < 4; i++) expect((await get(`${url}/v1/queue`, token)).body).to.equal(first.body);
    expect(await counts(), "one miss: each worker answered from what one of them made").to.deep.equal({ hit: 4, miss: 1 });
  });

  it("refuses RELAYER_KEY with more than one worker, naming the setting", async () => {
    serve = start(2, { RELAYER_KEY: `0x${"11".repeat(32)}` });
    const { code } = await serve.exited;
    expect(code).to.not.equal(0);
    expect(serve.output()).to.contain("RELAYER_KEY needs a single API process");
  });
});
