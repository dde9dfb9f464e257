/**
 * Two builds of the API compared under bench:api's realistic load (npm run bench:api:ab -- A B):
 * both `serve`s on one copy of the realistic book, one chain writer moving it for both, the mix
 * at 50 connections against each in turn, in short rounds ordered A B B A A B ... so that a host
 * whose speed drifts (the same build has moved from 1,600 to 3,100 requests a second within half an
 * hour on a 2-core host) weighs on both alike.
 *
 * A and B are checkouts with their build in dist/ (npm install, or node scripts/prepare-cli.js)
 * and the same database migrations: each server migrates the book when it opens it. The book, the
 * writer and the load come from this checkout.
 *
 * Prints each round and a summary per build (stdout, JSON last): requests a second (mean of the
 * rounds), the processor time of its API processes per request, the response cache's hit share and
 * the rounds' p99s with their median, and `sinceBlock`: its responses by when their request started
 * after the latest block, in 250 ms slices (rate, p50, p99), which shows what each block's new
 * cache generation costs.
 * Env: BENCH_AB_LOANS (100000), BENCH_AB_ROUNDS (10, even), BENCH_AB_ROUND_S (15), BENCH_WORKERS
 * (serve --workers of both, default one per core), BENCH_AB_POSTGRES_URL (the book copied into a
 * schema of that PostgreSQL, `bench_api_ab_<loans>`, dropped after; SQLite without it).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { synthesize } from "./api/synthesize";
import { REALISTIC_SHAPE, hitShareOf, measured, perRequest, realisticTokens, runMix, sinceBlockProfile, type LoadStretch, type SinceBlockSlice, type TimedResponse } from "./api/realistic";
import { BENCH_SECRET, startServe, startWriter, stopProcess } from "./api/processes";
import { copyToPostgres, dropPostgresCopy } from "./api/to-postgres";
import { machine } from "./machine";

const CONNECTIONS = 50;
const WARMUP_S = 10;

function positiveInteger(name: string, fallback: number): number {
  const raw = process.env[name];
  const n = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive whole number, not "${raw}"`);
  return n;
}

export interface AbRound {
  build: "A" | "B";
  round: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  hitShare: number;
  cpuMsPerRequest: number | null;
}

export interface AbSummary {
  build: "A" | "B";
  checkout: string;
  rounds: number;
  rpsMean: number;
  cpuMsPerRequest: number | null;
  hitShare: number;
  p99s: number[];
  p99Median: number;
  errors: number;
  /** Its rounds' responses by when their request started after the latest block (sinceBlockProfile, 250 ms slices). */
  sinceBlock: SinceBlockSlice[];
}

/** Which build runs first in each round: A B, B A, A B ... (each build's rounds in turn first and second). */
export const abOrder = (round: number): ("A" | "B")[] => (round % 2 === 0 ? ["A", "B"] : ["B", "A"]);

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Adds up one build's rounds; `totals` are the requests, processor time and cache lookups of all of them. */
export function summarize(build: "A" | "B", checkout: string, rounds: AbRound[], totals: { requests: number; cpuMs: number | null; hit: number; miss: number }, sinceBlock: SinceBlockSlice[] = []): AbSummary {
  const mine = rounds.filter((r) => r.build === build);
  if (mine.length === 0) throw new Error(`no rounds of build ${build}`);
  const p99s = mine.map((r) => r.p99);
  return {
    build,
    checkout,
    rounds: mine.length,
    rpsMean: Math.round(mine.reduce((n, r) => n + r.rps, 0) / mine.length),
    cpuMsPerRequest: perRequest(totals.cpuMs, totals.requests),
    hitShare: hitShareOf(totals.hit, totals.miss),
    p99s,
    p99Median: median(p99s),
    errors: mine.reduce((n, r) => n + r.errors, 0),
    sinceBlock,
  };
}

async function main() {
  const [a, b] = process.argv.slice(2).map((p) => path.resolve(p));
  if (!a || !b) throw new Error("usage: npm run bench:api:ab -- <checkout A> <checkout B>");
  for (const root of [a, b]) {
    if (!fs.existsSync(path.join(root, "dist", "cli", "index.js"))) {
      throw new Error(`${root}: no dist/cli/index.js (build it there: npm install, or node scripts/prepare-cli.js)`);
    }
  }
  const loans = positiveInteger("BENCH_AB_LOANS", 100_000);
  const roundCount = positiveInteger("BENCH_AB_ROUNDS", 10);
  if (roundCount % 2) throw new Error(`BENCH_AB_ROUNDS must be even (each build first as often as second), not ${roundCount}`);
  const roundS = positiveInteger("BENCH_AB_ROUND_S", 15);
  const workers = positiveInteger("BENCH_WORKERS", os.cpus().length);
  const postgres = process.env.BENCH_AB_POSTGRES_URL || undefined;
  const pgSchema = `bench_api_ab_${loans}`;
  const host = machine();
  console.error(`speed probe: ${JSON.stringify(host.speedProbe)}`);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "duetrail-bench-api-ab-"));
  const running: Parameters<typeof stopProcess>[0][] = [];
  let writer: ReturnType<typeof startWriter> | undefined;
  try {
    const t0 = Date.now();
    await synthesize(path.join(dir, "book.db"), loans, REALISTIC_SHAPE);
    console.error(`synthesized ${loans} loans in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const book = postgres ? await copyToPostgres(path.join(dir, "book.db"), postgres, pgSchema) : path.join(dir, "book.db");
    if (postgres) console.error(`copied into PostgreSQL (${pgSchema}) in ${((Date.now() - t0) / 1000).toFixed(1)} s from the start`);
    const servers = { A: { root: a, url: "", pid: 0 }, B: { root: b, url: "", pid: 0 } };
    for (const build of ["A", "B"] as const) {
      const s = servers[build];
      const { url, child } = await startServe(book, { cacheMb: "64", dir: path.join(dir, build), workers, root: s.root });
      running.push(child);
      s.url = url;
      s.pid = child.pid!;
    }
    writer = startWriter(book, loans);
    const tokens = realisticTokens(BENCH_SECRET);
    for (const build of ["A", "B"] as const) await runMix(servers[build].url, loans, tokens, CONNECTIONS, WARMUP_S, 1);

    const rounds: AbRound[] = [];
    const stretches: Record<"A" | "B", LoadStretch[]> = { A: [], B: [] };
    const totals = { A: { requests: 0, cpuMs: 0 as number | null, hit: 0, miss: 0 }, B: { requests: 0, cpuMs: 0 as number | null, hit: 0, miss: 0 } };
    for (let round = 0; round < roundCount; round++) {
      for (const build of abOrder(round)) {
        const s = servers[build];
        const t = totals[build];
        const responses: TimedResponse[] = [];
        const blocksBefore = writer.blocks.length;
        const m = await measured(s.url, s.pid, () => runMix(s.url, loans, tokens, CONNECTIONS, roundS, 10 + round, responses));
        stretches[build].push({ responses, blocks: writer.blocks.slice(blocksBefore).map((b) => b.at) });
        const r = m.value;
        t.requests += r.requests.total;
        t.cpuMs = t.cpuMs === null || m.cpuMs === null ? null : t.cpuMs + m.cpuMs;
        t.hit += m.hit;
        t.miss += m.miss;
        const row: AbRound = {
          build,
          round,
          rps: Math.round(r.requests.average),
          p50: r.latency.p50,
          p99: r.latency.p99,
          errors: r.errors + r.timeouts + r.non2xx,
          hitShare: hitShareOf(m.hit, m.miss),
          cpuMsPerRequest: perRequest(m.cpuMs, r.requests.total),
        };
        rounds.push(row);
        console.log(`${build} round ${round + 1}/${roundCount}: ${row.rps} req/s, p50 ${row.p50} ms, p99 ${row.p99} ms, hits ${row.hitShare}, ${row.cpuMsPerRequest} ms CPU a request, errors ${row.errors}`);
      }
    }
    if (writer.child.exitCode !== null) throw new Error(`the chain writer stopped (exit ${writer.child.exitCode}): the chain did not move`);
    const summaries = (["A", "B"] as const).map((build) => summarize(build, servers[build].root, rounds, totals[build], sinceBlockProfile(stretches[build])));
    for (const s of summaries) {
      console.log(`${s.build} (${s.checkout}): ${s.rpsMean} req/s, ${s.cpuMsPerRequest} ms CPU a request, hit share ${s.hitShare}, p99 median ${s.p99Median} ms (${s.p99s.join(", ")}), errors ${s.errors}`);
      console.log(`  ${s.build} after each block: ${s.sinceBlock.map((x) => `${x.fromMs}-${x.toMs} ms ${x.rps} req/s p99 ${x.p99}`).join("; ")}`);
    }
    console.log(JSON.stringify({ machine: host, db: postgres ? "postgres" : "sqlite", loans, workers, connections: CONNECTIONS, roundSeconds: roundS, summaries, rounds }));
  } finally {
    if (writer) await stopProcess(writer.child);
    for (const child of running) await stopProcess(child);
    if (postgres) await dropPostgresCopy(postgres, pgSchema);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error((err as Error).message);
    process.exit(1);
  });
}
