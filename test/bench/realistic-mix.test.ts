import { expect } from "chai";
import fc from "fast-check";
import { REALISTIC_SHAPE, nextRequest } from "../../bench/api/realistic";
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
});
