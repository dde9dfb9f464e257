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

/** The server's response-cache lookups so far: hits and misses. */
export async function cacheLookups(base: string): Promise<{ hit: number; miss: number }> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const count = (outcome: string) => Number(new RegExp(`^duetrail_api_response_cache_total\\{outcome="${outcome}"\\} (\\d+)`, "m").exec(text)?.[1] ?? 0);
  return { hit: count("hit"), miss: count("miss") };
}

/** autocannon with the mix: every request a caller and path of its own. */
export function runMix(base: string, loans: number, tokens: { collectors: string[][]; lenders: string[] }, connections: number, duration: number, seed: number): Promise<autocannon.Result> {
  const random = prng(seed);
  return autocannon({
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
}
