/**
 * The realistic workload of `npm run bench:api`: many callers on a moving chain.
 *
 * - The book: `loans` loans of 20 lenders, each with 25 collectors of its own (500), every
 *   collector working its lender's loans in turn (bench/api/synthesize.ts, ownersOf).
 * - The chain moves: bench/api/chain-writer.ts, in a process of its own, writes one indexed block
 *   every 2 s that repays 300 loans (the indexer's own write path) and moves the cursor, so the
 *   API's per-block response cache starts afresh every 2 s.
 * - The callers, each request a random one with its own token (the mix, stated):
 *     85% collectors: 55% their queue (GET /v1/queue?limit=20), 30% one of their loans
 *         (GET /v1/loans/{id}), 15% their loans in M1 by DPD (GET /v1/loans?bucket=M1&sort=-dpd&limit=20);
 *     15% lenders: 60% their book by DPD (GET /v1/loans?sort=-dpd&limit=50), 40% one of their loans.
 * - autocannon at 50 connections against `serve` as deployed (response cache on), the share of
 *   requests the cache answered read from the server's own counter (duetrail_api_response_cache_total).
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import autocannon from "autocannon";
import { serviceToken } from "../../src/api/auth/tokens";
import { prng } from "../../scripts/lib/prng";
import { benchCollector, benchLender, loanOf, type BookShape } from "./synthesize";

export const REALISTIC_SHAPE: BookShape = { lenders: 20, collectorsPerLender: 25 };
export const WRITER = { intervalMs: 2_000, loansPerBlock: 300 };

export interface RealisticRow {
  db: "sqlite" | "postgres";
  loans: number;
  connections: number;
  /** API processes (serve --workers). */
  workers: number;
  p50: number;
  p99: number;
  rps: number;
  errors: number;
  cacheHitShare: number;
  requests: number;
  /** Each run's figures (the row's p50, p99 and rps are those of the run with the median p99). */
  samples: { rps: number; p50: number; p99: number }[];
  /**
   * The server's own figures over all samples (handlerFigures): the share of requests it answered
   * within 50 ms, and the histogram bound its 99th percentile is under. At 50 busy connections the
   * callers' p99 is mostly the wait before a handler starts. cpuMsPerRequest: the processor time
   * of the API's processes (the primary and its workers, not the database server or the load
   * generator) over the samples, per request; less bound to how busy the host was than req/s
   * (null where /proc cannot tell).
   */
  server: { within50ms: number; p99AtMostMs: number | null; cpuMsPerRequest?: number | null };
  /** Blocks the writer indexed during the run, and its median write time. */
  blocks: number;
  blockWriteMsP50: number;
}

/** The request a caller makes next, by the stated mix; `random` in [0, 1). */
export function nextRequest(random: () => number, loans: number, tokens: { collectors: string[][]; lenders: string[] }, shape = REALISTIC_SHAPE): { path: string; token: string } {
  const perCollector = Math.max(1, Math.floor(loans / (shape.lenders * shape.collectorsPerLender)));
  const l = Math.floor(random() * shape.lenders);
  const pick = random();
  if (random() < 0.85) {
    const c = Math.floor(random() * shape.collectorsPerLender);
    const token = tokens.collectors[l]![c]!;
    if (pick < 0.55) return { path: "/v1/queue?limit=20", token };
    if (pick < 0.85) return { path: `/v1/loans/${loanOf(l, c, Math.floor(random() * perCollector), shape)}`, token };
    return { path: "/v1/loans?bucket=M1&sort=-dpd&limit=20", token };
  }
  const token = tokens.lenders[l]!;
  if (pick < 0.6) return { path: "/v1/loans?sort=-dpd&limit=50", token };
  const c = Math.floor(random() * shape.collectorsPerLender);
  return { path: `/v1/loans/${loanOf(l, c, Math.floor(random() * perCollector), shape)}`, token };
}

/** Service tokens of every lender and collector of the realistic shape. */
export function realisticTokens(secret: string, shape = REALISTIC_SHAPE): { collectors: string[][]; lenders: string[] } {
  const lenders = Array.from({ length: shape.lenders }, (_, l) => serviceToken(benchLender(l), secret, 3_600).token);
  const collectors = Array.from({ length: shape.lenders }, (_, l) => Array.from({ length: shape.collectorsPerLender }, (_, c) => serviceToken(benchCollector(l, c), secret, 3_600).token));
  return { collectors, lenders };
}

/** The server's /metrics text (every API process's, added up). */
export async function metricsOf(base: string): Promise<string> {
  return (await fetch(`${base}/metrics`)).text();
}

/** The server's response-cache lookups so far, from its /metrics text: hits and misses. */
export function cacheLookups(text: string): { hit: number; miss: number } {
  const count = (outcome: string) => Number(new RegExp(`^duetrail_api_response_cache_total\\{outcome="${outcome}"\\} (\\d+)`, "m").exec(text)?.[1] ?? 0);
  return { hit: count("hit"), miss: count("miss") };
}

/** Upper bounds (seconds, "+Inf" last) of the API's request-duration histogram and the /v1 requests at or under each so far. */
export type HandlerBuckets = Map<string, number>;

/**
 * The server's own view of the same requests: the duetrail_api_request_duration_seconds buckets of
 * every /v1 route added up (the time from the first middleware to the answer's end, so without the
 * wait for the event loop before it and the client's own delays).
 */
export function handlerBuckets(metrics: string): HandlerBuckets {
  const out: HandlerBuckets = new Map();
  for (const m of metrics.matchAll(/^duetrail_api_request_duration_seconds_bucket\{le="([^"]+)",[^}]*route="\/v1[^"]*"[^}]*\} (\d+)$/gm)) {
    out.set(m[1]!, (out.get(m[1]!) ?? 0) + Number(m[2]));
  }
  return out;
}

/** Adds what each bucket counted between `before` and `after` to `into` (the requests of separate runs added up). */
export function addBucketsBetween(into: HandlerBuckets, before: HandlerBuckets, after: HandlerBuckets): void {
  for (const [le, n] of after) into.set(le, (into.get(le) ?? 0) + n - (before.get(le) ?? 0));
}

/**
 * The order of `items` in round `round` of the realistic samples: rotated one further each round,
 * so over as many rounds as items each is measured in every place of a round once.
 */
export function roundOrder<T>(items: readonly T[], round: number): T[] {
  const k = items.length ? round % items.length : 0;
  return [...items.slice(k), ...items.slice(0, k)];
}

/**
 * From two readings of the buckets: the share of the requests between them the server answered
 * within 50 ms, and the smallest bucket bound (ms) the 99th percentile is under (null if past the last).
 */
export function handlerFigures(before: HandlerBuckets, after: HandlerBuckets): { within50ms: number; p99AtMostMs: number | null } {
  const count = (le: string) => (after.get(le) ?? 0) - (before.get(le) ?? 0);
  const total = count("+Inf");
  if (total <= 0) throw new Error("bench:api: the server counted no /v1 requests between the two readings of its histogram");
  const bounds = [...after.keys()].filter((le) => le !== "+Inf").sort((a, b) => Number(a) - Number(b));
  const p99 = bounds.find((le) => count(le) >= 0.99 * total);
  return { within50ms: Number((count("0.05") / total).toFixed(4)), p99AtMostMs: p99 === undefined ? null : Math.round(Number(p99) * 1000) };
}

/**
 * Processor time (user + system, ms) of process `root` and every process under it so far, from
 * /proc (Linux); null elsewhere.
 */
export function treeCpuMs(root: number): number | null {
  if (process.platform !== "linux") return null;
  const procs = new Map<number, { ppid: number; ticks: number }>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // gone since the listing
    }
    // The command name (field 2) is in parentheses and may hold spaces: fields after it count from its end.
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    procs.set(Number(entry), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) });
  }
  if (!procs.has(root)) return null;
  const under = (pid: number): boolean => {
    for (let p: number | undefined = pid, hops = 0; p !== undefined && p > 1 && hops < 64; p = procs.get(p)?.ppid, hops++) if (p === root) return true;
    return false;
  };
  let ticks = 0;
  for (const [pid, p] of procs) if (under(pid)) ticks += p.ticks;
  const hz = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  return (ticks * 1000) / hz;
}

/** A response as the load generator saw it: when it ended (performance.now(), ms) and how long it took (ms). */
export interface TimedResponse {
  end: number;
  ms: number;
}

/** One slice of the block interval: requests started `fromMs` to `toMs` after the latest block. */
export interface SinceBlockSlice {
  fromMs: number;
  toMs: number;
  /** Responses a second, over the block intervals that reached this slice. */
  rps: number;
  p50: number;
  p99: number;
}

/** Responses of one stretch of load, and the blocks that became visible during it (performance.now() ms, ascending). */
export interface LoadStretch {
  responses: readonly TimedResponse[];
  blocks: readonly number[];
}

/**
 * How the service behaves through a block interval: the responses of `stretches` binned by when
 * their request started after the latest block, `binMs` wide. Each new block starts a new
 * response-cache generation, so the first slices show the misses every caller then makes. In each
 * stretch only requests started between its first and its last block count; a slice's rate divides
 * by the time the stretches' intervals spent in it (intervals are not all 2 s long). Slices no
 * interval reached are left out.
 */
export function sinceBlockProfile(stretches: readonly LoadStretch[], binMs = 250): SinceBlockSlice[] {
  if (!(binMs > 0)) throw new Error(`sinceBlockProfile: binMs must be positive, not ${binMs}`);
  const latencies: number[][] = [];
  const seconds: number[] = [];
  for (const { responses, blocks } of stretches) {
    const lengths = blocks.slice(1).map((b, i) => b - blocks[i]!);
    if (lengths.some((l) => l < 0)) throw new Error("sinceBlockProfile: block times must be ascending");
    for (const l of lengths) {
      for (let b = 0; b * binMs < l; b++) seconds[b] = (seconds[b] ?? 0) + (Math.min(l, (b + 1) * binMs) - b * binMs) / 1000;
    }
    const last = blocks.length - 1;
    for (const r of responses) {
      const start = r.end - r.ms;
      if (last < 1 || start < blocks[0]! || start >= blocks[last]!) continue;
      // The latest block at or before the start.
      let lo = 0;
      let hi = last;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (blocks[mid]! <= start) lo = mid;
        else hi = mid - 1;
      }
      (latencies[Math.floor((start - blocks[lo]!) / binMs)] ??= []).push(r.ms);
    }
  }
  const at = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  const slices: SinceBlockSlice[] = [];
  for (let b = 0; b < seconds.length; b++) {
    const xs = (latencies[b] ?? []).sort((x, y) => x - y);
    if (!seconds[b] || xs.length === 0) continue;
    slices.push({ fromMs: b * binMs, toMs: (b + 1) * binMs, rps: Math.round(xs.length / seconds[b]!), p50: Math.round(at(xs, 0.5)), p99: Math.round(at(xs, 0.99)) });
  }
  return slices;
}

/** Processor time a request, to 3 decimals (null without a processor time). */
export const perRequest = (cpuMs: number | null, requests: number): number | null => (cpuMs === null || requests === 0 ? null : Number((cpuMs / requests).toFixed(3)));

/** The share of cache lookups that hit, to 3 decimals (0 without lookups). */
export const hitShareOf = (hit: number, miss: number): number => (hit + miss > 0 ? Number((hit / (hit + miss)).toFixed(3)) : 0);

/**
 * `work` against the server at `base` (its primary's pid `pid`), with what the server counted
 * meanwhile: /metrics read before and after, the cache lookups between them, and the processor
 * time of its processes (treeCpuMs; null where /proc cannot tell).
 */
export async function measured<T>(base: string, pid: number, work: () => Promise<T>): Promise<{ value: T; metricsBefore: string; metricsAfter: string; hit: number; miss: number; cpuMs: number | null }> {
  const metricsBefore = await metricsOf(base);
  const cpuBefore = treeCpuMs(pid);
  const value = await work();
  const cpuAfter = treeCpuMs(pid);
  const metricsAfter = await metricsOf(base);
  const [before, after] = [cacheLookups(metricsBefore), cacheLookups(metricsAfter)];
  return { value, metricsBefore, metricsAfter, hit: after.hit - before.hit, miss: after.miss - before.miss, cpuMs: cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore };
}

/** autocannon with the mix: every request a caller and path of its own; each response is added to `responses` if given. */
export function runMix(
  base: string,
  loans: number,
  tokens: { collectors: string[][]; lenders: string[] },
  connections: number,
  duration: number,
  seed: number,
  responses?: TimedResponse[],
): Promise<autocannon.Result> {
  const random = prng(seed);
  const run = autocannon({
    url: base,
    connections,
    duration,
    requests: [
      {
        method: "GET",
        setupRequest: (req: autocannon.Request) => {
          const { path, token } = nextRequest(random, loans, tokens);
          return { ...req, path, headers: { ...(req.headers ?? {}), authorization: `Bearer ${token}` } };
        },
      },
    ],
  });
  // Without a callback autocannon returns its instance (an EventEmitter), made thenable.
  if (responses) (run as unknown as autocannon.Instance).on("response", (_client: unknown, _status: number, _bytes: number, ms: number) => responses.push({ end: performance.now(), ms }));
  return run;
}
