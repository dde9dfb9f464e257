/**
 * The strategy file (src/strategy/strategy-file.ts): what validates and the error that names each
 * mistake; its hash; segment matching (first match wins, the last takes the rest) and the seeded
 * champion/challenger draw (src/strategy/segments.ts).
 */
import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { StrategyFileError } from "../../src/strategy/errors";
import { armOf, matches, segmentOf, type SegmentInput } from "../../src/strategy/segments";
import { parseStrategy, strategyHash, type StrategyFile } from "../../src/strategy/strategy-file";

const MODEL = "m-0123456789ab";
const fixture = (): Record<string, any> => ({ ...JSON.parse(fs.readFileSync(path.join(__dirname, "..", "cli", "fixtures", "strategy.json"), "utf8")), model: MODEL });
const input = (over: Partial<SegmentInput> = {}): SegmentInput => ({ kind: "behavioural", probability: 0.5, bucket: "M1", amountOverdue: 1_000n, disputeOpen: false, ...over });

describe("strategy/strategy-file", function () {
  it("the example validates; its hash is the SHA-256 of the canonical JSON, whatever the key order", function () {
    const s = parseStrategy(fixture());
    const reverse = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(reverse) : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reverse(x)])) : v;
    const reordered = reverse(fixture()) as Record<string, unknown>;
    expect(Object.keys(reordered)[0]).to.equal("model");
    expect(strategyHash(parseStrategy(reordered))).to.equal(strategyHash(s));
    expect(strategyHash(parseStrategy({ ...fixture(), model: "m-0123456789ac" }))).to.not.equal(strategyHash(s));
    expect(strategyHash(s)).to.match(/^0x[0-9a-f]{64}$/);
  });

  it("names the field at fault", function () {
    const cases: [(f: Record<string, any>) => void, string][] = [
      [(f) => (f.model = "latest"), "model: must be a model version m-<12 hex>"],
      [(f) => (f.version = 2), "version: must be 1 (the strategy format's version)"],
      [(f) => (f.segments[5].when = { buckets: ["M1"] }), "segments.5.when: the last segment takes every other loan: it has no when"],
      [(f) => (f.segments[1].name = "hardship"), "segments.1.name: hardship is named twice"],
      [(f) => (f.segments[1].when.buckets = ["M9"]), "segments.1.when.buckets.0: must be one of M0, M1, M2, M3, M4, M5, M6, M7+"],
      [(f) => (f.segments[1].when.maxProbability = 0.1), "segments.1.when.minProbability: must not exceed maxProbability"],
      [(f) => (f.segments[3].treatment.escalation = [{ atDpd: 60, step: "lawyer-letter" }, { atDpd: 30, step: "formal-notice" }]), "segments.3.treatment.escalation: steps must be in increasing atDpd"],
      [(f) => (f.segments[0].treatment.nextAction.action = "shout"), "segments.0.treatment.nextAction.action: must be one of call, sms, email, letter, visit, legal-notice, relief-offer, none"],
      [(f) => (f.segments[0].treatment.colour = "red"), 'segments.0.treatment: Unrecognized key: "colour"'],
      [(f) => (f.challenger.share = 0.9), "challenger.share: must be a share from 0.01 to 0.5"],
      [(f) => (f.segments[2].when.minOverdue = "12.5"), "segments.2.when.minOverdue: must be an amount in minor units, as a decimal string"],
    ];
    for (const [edit, message] of cases) {
      const f = fixture();
      edit(f);
      expect(() => parseStrategy(f), message).to.throw(StrategyFileError, message);
    }
  });

  describe("segments", function () {
    const s: StrategyFile = parseStrategy(fixture());

    it("each condition of when", function () {
      const seg = (when: object) => ({ name: "x", when, treatment: s.segments[0]!.treatment });
      expect(matches(seg({ score: "earlyWarning" }), input())).to.equal(false);
      expect(matches(seg({ minProbability: 0.6 }), input())).to.equal(false);
      expect(matches(seg({ minProbability: 0.5, maxProbability: 0.5 }), input())).to.equal(true);
      expect(matches(seg({ buckets: ["M2"] }), input())).to.equal(false);
      expect(matches(seg({ minOverdue: "1001" }), input())).to.equal(false);
      expect(matches(seg({ maxOverdue: "1000" }), input())).to.equal(true);
      expect(matches(seg({ disputeOpen: true }), input())).to.equal(false);
    });

    it("the first segment that matches, in file order; the last takes the rest", function () {
      expect(segmentOf(s.segments, input({ kind: "earlyWarning", probability: 0.4, bucket: "M0" })).name).to.equal("hardship");
      expect(segmentOf(s.segments, input({ probability: 0.7 })).name).to.equal("self-cure");
      expect(segmentOf(s.segments, input({ probability: 0.7, bucket: "M2" })).name).to.equal("early-soft");
      expect(segmentOf(s.segments, input({ probability: 0.1, bucket: "M3" })).name).to.equal("high-risk");
      expect(segmentOf(s.segments, input({ probability: 0.9, bucket: "M5" })).name).to.equal("legal");
      expect(segmentOf(s.segments, input({ kind: "earlyWarning", probability: 0.05, bucket: "M0" })).name).to.equal("standard");
    });

    it("the challenger draw: the share of loans, the same every time, another seed another draw", function () {
      const ids = Array.from({ length: 20_000 }, (_, i) => i + 1);
      const arms = ids.map((id) => armOf(s, id));
      const share = arms.filter((a) => a === "challenger").length / ids.length;
      expect(share).to.be.closeTo(0.1, 0.01);
      expect(ids.map((id) => armOf(s, id))).to.deep.equal(arms);
      const other = parseStrategy({ ...fixture(), challenger: { ...fixture().challenger, seed: "other" } });
      expect(ids.map((id) => armOf(other, id))).to.not.deep.equal(arms);
      const none = parseStrategy({ ...fixture(), challenger: undefined });
      expect(ids.every((id) => armOf(none, id) === "champion")).to.equal(true);
    });
  });
});
