/**
 * The indexer's fast event decoder (src/chain/abi-fast.ts) against viem's decodeEventLog: every
 * event of both contracts' ABIs, encoded with seeded random values (zero, maximum and negative
 * boundaries, empty and filled arrays, non-ASCII strings), decodes to the same values, the same
 * types and the same key order; malformed data makes it throw (so the indexer falls back to viem).
 */
import { expect } from "chai";
import { decodeEventLog, encodeAbiParameters, encodeEventTopics, toHex, type AbiEvent, type AbiParameter, type Hex } from "viem";
import { collectionLogAbi, loanLedgerAbi } from "../../src/chain/abis";
import { compileEvent } from "../../src/chain/abi-fast";
import { argsJson } from "../../src/chain/decode";
import { prng } from "../support/prng";


type Mode = "random" | "min" | "max" | "small";

function valueFor(param: AbiParameter, random: () => number, mode: Mode): unknown {
  const array = /^(.*)\[(\d*)\]$/.exec(param.type);
  if (array) {
    const n = array[2] === "" ? (mode === "min" ? 0 : 1 + Math.floor(random() * 3)) : Number(array[2]);
    return Array.from({ length: n }, () => valueFor({ ...param, type: array[1] } as AbiParameter, random, mode));
  }
  if (param.type === "tuple") {
    const components = (param as AbiParameter & { components: readonly AbiParameter[] }).components;
    return Object.fromEntries(components.map((c) => [c.name, valueFor(c, random, mode)]));
  }
  const bytes = (n: number) => toHex(Uint8Array.from({ length: n }, () => Math.floor(random() * 256)));
  if (param.type === "address") return mode === "min" ? "0x0000000000000000000000000000000000000000" : bytes(20);
  if (param.type === "bool") return mode === "max" || (mode === "random" && random() < 0.5);
  if (param.type === "string") return mode === "min" ? "" : `action ${Math.floor(random() * 1e6)} — résumé ✓`;
  if (param.type === "bytes") return mode === "min" ? "0x" : bytes(1 + Math.floor(random() * 40));
  const fixed = /^bytes(\d+)$/.exec(param.type);
  if (fixed) return bytes(Number(fixed[1]));
  const int = /^(u?)int(\d*)$/.exec(param.type)!;
  const bits = BigInt(int[2] || 256);
  const signed = int[1] === "";
  const max = signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n;
  const min = signed ? -(1n << (bits - 1n)) : 0n;
  let v: bigint;
  if (mode === "min") v = min;
  else if (mode === "max") v = max;
  else if (mode === "small") {
    // Below 2^k for k up to 60, around the 2^52 where the decoder switches to BigInt parsing.
    const k = BigInt(Math.floor(random() * 61));
    const r = BigInt(Math.floor(random() * 2 ** 30)) * 2n ** 30n + BigInt(Math.floor(random() * 2 ** 30));
    v = r % (1n << k) > max ? max : r % (1n << k);
    if (signed && random() < 0.5) v = -v < min ? min : -v;
  }
  else {
    let r = 0n;
    for (let i = 0; i < 8; i++) r = (r << 32n) | BigInt(Math.floor(random() * 2 ** 32));
    v = min + (r % (max - min + 1n));
  }
  return bits <= 48n ? Number(v) : v;
}

function encode(event: AbiEvent, args: Record<string, unknown>): { topics: Hex[]; data: Hex } {
  const topics = encodeEventTopics({ abi: [event], eventName: event.name, args: args as never }) as Hex[];
  const nonIndexed = event.inputs.filter((x) => !x.indexed);
  const data = nonIndexed.length ? encodeAbiParameters(nonIndexed, nonIndexed.map((x) => args[x.name!]) as never) : "0x";
  return { topics, data };
}

const json = (v: unknown) => argsJson(v) + (typeof v);

describe("indexer: fast event decoder = viem's decodeEventLog", function () {
  const events = ([...loanLedgerAbi, ...collectionLogAbi] as readonly { type: string }[]).filter((i) => i.type === "event") as AbiEvent[];

  it("compiles every event of both ABIs", function () {
    for (const e of events) expect(compileEvent(e), e.name).to.not.equal(undefined);
  });

  for (const mode of ["min", "max", "random", "small"] as const) {
    it(`decodes every event alike (${mode} values)`, function () {
      const random = prng(mode === "random" ? 7 : mode === "small" ? 11 : 1);
      for (const e of events) {
        for (let round = 0; round < (mode === "random" || mode === "small" ? 25 : 1); round++) {
          const args = Object.fromEntries(e.inputs.map((x) => [x.name!, valueFor(x, random, mode)]));
          const { topics, data } = encode(e, args);
          const expected = decodeEventLog({ abi: [e], topics: topics as [Hex, ...Hex[]], data, strict: true });
          const actual = compileEvent(e)!(topics, data);
          expect(actual.eventName).to.equal(expected.eventName);
          expect(actual.args, `${e.name}`).to.deep.equal(expected.args);
          // Same key order and value types (argsJson is what loan_events.args stores).
          expect(json(actual.args), `${e.name} key order`).to.equal(json(expected.args));
        }
      }
    });
  }

  it("throws on malformed data instead of guessing", function () {
    const e = events.find((x) => x.name === "LoanRegistered")!;
    const random = prng(3);
    const { topics, data } = encode(e, Object.fromEntries(e.inputs.map((x) => [x.name!, valueFor(x, random, "random")])));
    const decode = compileEvent(e)!;
    expect(() => decode(topics, data.slice(0, data.length - 64) as Hex)).to.throw();
    expect(() => decode(topics, "0x")).to.throw();
    expect(() => decode(topics.slice(0, 2), data)).to.throw();
  });

  it("reads integers on both sides of 2^52 exactly and throws on a non-hex digit in either part", function () {
    const e = { type: "event", name: "Amount", inputs: [{ name: "a", type: "uint256", indexed: false }] } as const satisfies AbiEvent;
    const topics = encodeEventTopics({ abi: [e], eventName: "Amount" }) as Hex[];
    const decode = compileEvent(e)!;
    const word = (digits: string) => `0x${digits.padStart(64, "0")}` as Hex;
    expect(decode(topics, word("5")).args).to.deep.equal({ a: 5n });
    expect(decode(topics, word("f".repeat(13))).args).to.deep.equal({ a: 2n ** 52n - 1n });
    expect(decode(topics, word(`1${"0".repeat(13)}`)).args).to.deep.equal({ a: 2n ** 52n });
    expect(decode(topics, word("F".repeat(64))).args).to.deep.equal({ a: 2n ** 256n - 1n });
    expect(() => decode(topics, word("g5"))).to.throw();
    expect(() => decode(topics, word(`g${"0".repeat(20)}`))).to.throw();
  });
});
