import { expect } from "chai";
import fc from "fast-check";
import { spawn } from "node:child_process";
import { REALISTIC_SHAPE, addBucketsBetween, handlerBuckets, handlerFigures, nextRequest, roundOrder, treeCpuMs, type HandlerBuckets } from "../../bench/api/realistic";
import { loanOf, ownersOf } from "../../bench/api/synthesize";
import { prng } from "../../scripts/lib/prng";

describe("bench:api realistic workload: the book's owners and the request mix", function () {
  it("a collector's k-th loan is dealt to that collector of that lender", function () {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 19 }), fc.integer({ min: 0, max: 24 }), fc.integer({ min: 0, max: 5_000 }), (l, c, k) => {
        expect(ownersOf(loanOf(l, c, k, REALISTIC_SHAPE), REALISTIC_SHAPE)).to.deep.equal({ lender: l, collector: c });
      }),
    );
  });

  it("draws the stated mix: 85% collectors (queue 55%, a loan 30%, M1 list 15%), 15% lenders, only loans of the book", function () {
    const tokens = { collectors: Array.from({ length: 20 }, (_, l) => Array.from({ length: 25 }, (_, c) => `c-${l}-${c}`)), lenders: Array.from({ length: 20 }, (_, l) => `l-${l}`) };
    const random = prng(42);
    const n = 40_000;
    const count: Record<string, number> = {};
    const strays: string[] = [];
    for (let i = 0; i < n; i++) {
      const r = nextRequest(random, 10_000, tokens);
      const who = r.token.startsWith("c-") ? "collector" : "lender";
      const what = r.path.startsWith("/v1/queue") ? "queue" : /^\/v1\/loans\/\d+$/.test(r.path) ? "loan" : "list";
      count[`${who} ${what}`] = (count[`${who} ${what}`] ?? 0) + 1;
      const id = /^\/v1\/loans\/(\d+)$/.exec(r.path)?.[1];
      if (id) {
        const owners = ownersOf(Number(id), REALISTIC_SHAPE);
        // A caller asks for its own loans, of the book.
        if (Number(id) > 10_000 || (r.token !== `c-${owners.lender}-${owners.collector}` && r.token !== `l-${owners.lender}`)) strays.push(`${r.token} ${r.path}`);
      }
    }
    expect(strays).to.deep.equal([]);
    const share = (k: string) => (count[k] ?? 0) / n;
    expect(share("collector queue")).to.be.closeTo(0.85 * 0.55, 0.01);
    expect(share("collector loan")).to.be.closeTo(0.85 * 0.3, 0.01);
    expect(share("collector list")).to.be.closeTo(0.85 * 0.15, 0.01);
    expect(share("lender list")).to.be.closeTo(0.15 * 0.6, 0.01);
    expect(share("lender loan")).to.be.closeTo(0.15 * 0.4, 0.01);
  });

  it("reads the server's own latency from its histogram: /v1 routes only, between two readings", function () {
    const metrics = (queue: number[], loan: number[], other: number[]) =>
      ["0.01", "0.025", "0.05", "0.1", "+Inf"]
        .flatMap((le, i) => [
          `duetrail_api_request_duration_seconds_bucket{le="${le}",method="GET",route="/v1/queue",status="200"} ${queue[i]}`,
          `duetrail_api_request_duration_seconds_bucket{le="${le}",method="GET",route="/v1/loans/:loanId",status="200"} ${loan[i]}`,
          `duetrail_api_request_duration_seconds_bucket{le="${le}",method="GET",route="/metrics",status="200"} ${other[i]}`,
        ])
        .join("\n");
    const before = handlerBuckets(metrics([10, 10, 10, 10, 10], [5, 5, 5, 5, 5], [1, 1, 1, 1, 1]));
    expect(before.get("+Inf")).to.equal(15);
    // 1000 more requests: 900 within 10 ms, 985 within 25 ms, 995 within 50 ms, 999 within 100 ms.
    const after = handlerBuckets(metrics([610, 690, 698, 701, 702], [305, 310, 312, 313, 313], [9, 9, 9, 9, 9]));
    expect(handlerFigures(before, after)).to.deep.equal({ within50ms: 0.995, p99AtMostMs: 50 });
    // The 99th percentile past the last bound.
    const slow = handlerBuckets(metrics([20, 20, 20, 20, 1010], [5, 5, 5, 5, 5], [1, 1, 1, 1, 1]));
    expect(handlerFigures(before, slow)).to.deep.equal({ within50ms: 0.01, p99AtMostMs: null });
    expect(() => handlerFigures(before, before)).to.throw(/no \/v1 requests/);
  });

  it("adds up the histogram counts of separate runs: each run's counts between its own two readings", function () {
    const reading = (counts: number[]): HandlerBuckets => new Map(["0.01", "0.05", "+Inf"].map((le, i) => [le, counts[i]!]));
    const into: HandlerBuckets = new Map();
    // Run 1: 100 requests, 90 within 10 ms, 99 within 50 ms; the server had counted 7 before it.
    addBucketsBetween(into, reading([5, 6, 7]), reading([95, 105, 107]));
    // Run 2, later on the same server: 100 more, 10 within 10 ms, 97 within 50 ms.
    addBucketsBetween(into, reading([95, 105, 107]), reading([105, 202, 207]));
    expect(Object.fromEntries(into)).to.deep.equal({ "0.01": 100, "0.05": 196, "+Inf": 200 });
    expect(handlerFigures(new Map(), into)).to.deep.equal({ within50ms: 0.98, p99AtMostMs: null });
  });

  it("rotates the rows' order each round: over as many rounds as rows, each row once in every place", function () {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 20 }), (n, first) => {
        const rows = Array.from({ length: n }, (_, i) => i);
        const rounds = Array.from({ length: n }, (_, r) => roundOrder(rows, first + r));
        for (const order of rounds) expect([...order].sort((a, b) => a - b)).to.deep.equal(rows);
        for (let place = 0; place < n; place++) expect(new Set(rounds.map((o) => o[place])).size).to.equal(n);
      }),
    );
    expect(roundOrder(["10k", "100k", "1M"], 1)).to.deep.equal(["100k", "1M", "10k"]);
    expect(roundOrder([], 3)).to.deep.equal([]);
  });

  it("counts the processor time of a process and of every process under it (the API's primary and workers)", async function () {
    if (process.platform !== "linux") this.skip();
    this.timeout(30_000);
    // A parent that burns about 400 ms and starts a child that burns about 400 ms, both then waiting.
    const burn = "const t = Date.now(); while (Date.now() - t < 400);";
    const script = `${burn} require("node:child_process").spawn(process.execPath, ["-e", ${JSON.stringify(`${burn} setTimeout(() => {}, 60000);`)}], { stdio: "ignore" }); setTimeout(() => {}, 60000);`;
    // A process group of its own, so that the child goes with it at the end.
    const parent = spawn(process.execPath, ["-e", script], { stdio: "ignore", detached: true });
    try {
      let total = 0;
      for (let i = 0; i < 100 && total < 700; i++) {
        await new Promise((r) => setTimeout(r, 100));
        total = treeCpuMs(parent.pid!)!;
      }
      // The parent alone: its start (under 100 ms) and 400 ms. Past 700, the child's time is in.
      expect(total).to.be.at.least(700);
      expect(treeCpuMs(2 ** 22 + 1), "no such process").to.equal(null);
    } finally {
      process.kill(-parent.pid!, "SIGKILL");
    }
  });
});

