/**
 * A fast event decoder for the indexer's hot path: each event ABI is compiled once into a reader
 * that slices the log's hex data directly (no byte arrays, no cursor), with viem's exact output —
 * the same value types (uintN/intN of at most 48 bits as numbers, wider ones as bigints; checksummed
 * addresses; lowercase hex for bytes), the same tuple and argument shapes, and the same key order
 * (indexed arguments first, then the data's, as viem's decodeEventLog builds them).
 *
 * Anything unexpected (data too short, an offset out of range, a malformed bool) throws, and the
 * caller falls back to viem's decodeEventLog, which then reports the proper error.
 */
import { checksumAddress, type AbiEvent, type AbiParameter, type Hex } from "viem";
import { ChainError } from "./errors";

type Reader = (hex: string, pos: number, base: number) => unknown;

interface Compiled {
  read: Reader;
  /** Bytes it takes in the head: 32 for a dynamic type (its offset), its full encoding if static. */
  headSize: number;
  dynamic: boolean;
}

/** Data the fast decoder does not handle; caught here, and viem's decoder decides instead. */
class FastDecodeError extends ChainError {
  override name = "FastDecodeError";
}

/** The 32-byte word at byte `pos` of `hex` ("0x" + data), as 64 hex digits. */
function word(hex: string, pos: number): string {
  const start = 2 + pos * 2;
  if (pos < 0 || start + 64 > hex.length) throw new FastDecodeError("out of range");
  return hex.slice(start, start + 64);
}

/** Hex digits of a value below 2^52 (exact as a number), and the zeros before them in a word. */
const SMALL_DIGITS = 13;
const LEADING_ZEROS = "0".repeat(64 - SMALL_DIGITS);

/**
 * The word at byte `pos` as an unsigned number when it is below 2^52, else undefined. Read in
 * place, digit by digit (no string is made: most values, amounts, times and ids, are small).
 */
function smallUintAt(hex: string, pos: number): number | undefined {
  const start = 2 + pos * 2;
  const end = start + 64;
  if (pos < 0 || end > hex.length) throw new FastDecodeError("out of range");
  if (!hex.startsWith(LEADING_ZEROS, start)) return undefined;
  let v = 0;
  for (let i = end - SMALL_DIGITS; i < end; i++) {
    const c = hex.charCodeAt(i);
    // 0-9, a-f, A-F; anything else is not hex (parseInt would stop there and guess).
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
    if (d < 0) throw new FastDecodeError("not hex");
    v = v * 16 + d;
  }
  return v;
}

/**
 * Checksummed addresses by their 40 hex digits (the word's last 20 bytes, as viem reads them).
 * viem's checksumAddress keeps an LRU of 8,192 (a map delete and set on every hit), which a chain
 * of more borrowers than that turns into a keccak per address read. Cleared when full.
 */
const checksummed = new Map<string, string>();
const CHECKSUM_CACHE = 65_536;

function addressAt(hex: string, pos: number): string {
  const digits = word(hex, pos).slice(24);
  let a = checksummed.get(digits);
  if (a === undefined) {
    a = checksumAddress(`0x${digits}` as Hex);
    if (checksummed.size >= CHECKSUM_CACHE) checksummed.clear();
    checksummed.set(digits, a);
  }
  return a;
}

/** A word that must hold a small unsigned integer (an offset or a length). */
function offsetAt(hex: string, pos: number): number {
  const v = smallUintAt(hex, pos);
  if (v === undefined || v >= 2 ** 48) throw new FastDecodeError("offset too large");
  return v;
}

function compile(param: AbiParameter): Compiled {
  const array = /^(.*)\[(\d*)\]$/.exec(param.type);
  if (array) {
    const element = compile({ ...param, type: array[1] } as AbiParameter);
    const length = array[2] === "" ? null : Number(array[2]);
    if (length === null) {
      return {
        dynamic: true,
        headSize: 32,
        read(hex, pos, base) {
          const start = base + offsetAt(hex, pos);
          const n = offsetAt(hex, start);
          const data = start + 32;
          const out: unknown[] = new Array(n);
          for (let i = 0; i < n; i++) out[i] = element.read(hex, data + i * element.headSize, data);
          return out;
        },
      };
    }
    if (element.dynamic) {
      return {
        dynamic: true,
        headSize: 32,
        read(hex, pos, base) {
          const start = base + offsetAt(hex, pos);
          const out: unknown[] = new Array(length);
          for (let i = 0; i < length; i++) out[i] = element.read(hex, start + i * 32, start);
          return out;
        },
      };
    }
    return {
      dynamic: false,
      headSize: length * element.headSize,
      read(hex, pos, base) {
        const out: unknown[] = new Array(length);
        for (let i = 0; i < length; i++) out[i] = element.read(hex, pos + i * element.headSize, base);
        return out;
      },
    };
  }
  if (param.type === "tuple") {
    const components = (param as AbiParameter & { components: readonly AbiParameter[] }).components;
    const parts = components.map(compile);
    const unnamed = components.length === 0 || components.some((c) => !c.name);
    const names = components.map((c, i) => (unnamed ? i : c.name!));
    const dynamic = parts.some((p) => p.dynamic);
    const build = (hex: string, start: number, base: number) => {
      const value: Record<string | number, unknown> | unknown[] = unnamed ? [] : {};
      let at = start;
      for (let i = 0; i < parts.length; i++) {
        (value as Record<string | number, unknown>)[names[i]] = parts[i].read(hex, at, base);
        at += parts[i].headSize;
      }
      return value;
    };
    if (dynamic) {
      return {
        dynamic: true,
        headSize: 32,
        read(hex, pos, base) {
          const start = base + offsetAt(hex, pos);
          return build(hex, start, start);
        },
      };
    }
    return { dynamic: false, headSize: parts.reduce((s, p) => s + p.headSize, 0), read: (hex, pos, base) => build(hex, pos, base) };
  }
  if (param.type === "address") {
    return { dynamic: false, headSize: 32, read: addressAt };
  }
  if (param.type === "bool") {
    return {
      dynamic: false,
      headSize: 32,
      read(hex, pos) {
        const w = word(hex, pos);
        if (w === "0".repeat(64)) return false;
        if (w === `${"0".repeat(63)}1`) return true;
        throw new FastDecodeError("not a bool");
      },
    };
  }
  if (param.type === "string" || param.type === "bytes") {
    const isString = param.type === "string";
    return {
      dynamic: true,
      headSize: 32,
      read(hex, pos, base) {
        const start = base + offsetAt(hex, pos);
        const n = offsetAt(hex, start);
        const from = 2 + (start + 32) * 2;
        if (from + n * 2 > hex.length) throw new FastDecodeError("out of range");
        const body = hex.slice(from, from + n * 2);
        return isString ? Buffer.from(body, "hex").toString("utf8") : `0x${body.toLowerCase()}`;
      },
    };
  }
  const fixedBytes = /^bytes(\d+)$/.exec(param.type);
  if (fixedBytes) {
    const n = Number(fixedBytes[1]);
    return { dynamic: false, headSize: 32, read: (hex, pos) => `0x${word(hex, pos).slice(0, n * 2).toLowerCase()}` };
  }
  const integer = /^(u?)int(\d*)$/.exec(param.type);
  if (integer) {
    const signed = integer[1] === "";
    const bits = integer[2] ? Number(integer[2]) : 256;
    const small = bits <= 48;
    return {
      dynamic: false,
      headSize: 32,
      read(hex, pos) {
        if (!signed) {
          const n = smallUintAt(hex, pos);
          if (n !== undefined) return small ? n : BigInt(n);
          const v = BigInt(`0x${word(hex, pos)}`);
          return small ? Number(v) : v;
        }
        const v = BigInt.asIntN(256, BigInt(`0x${word(hex, pos)}`));
        return small ? Number(v) : v;
      },
    };
  }
  throw new FastDecodeError(`unsupported type ${param.type}`);
}

export interface FastEventDecoder {
  /** { eventName, args } exactly as viem's decodeEventLog (strict) returns them; throws when in doubt. */
  (topics: readonly Hex[], data: Hex): { eventName: string; args: unknown };
}

/** Compiles `event` (not anonymous); undefined when it uses a type this decoder does not handle. */
export function compileEvent(event: AbiEvent): FastEventDecoder | undefined {
  if (event.anonymous) return undefined;
  let indexed: { name: string | number; read: Reader | undefined }[];
  let data: { name: string | number; part: Compiled }[];
  const unnamed = event.inputs.some((x) => !x.name);
  try {
    indexed = event.inputs
      .map((x, i) => ({ x, i }))
      .filter(({ x }) => x.indexed)
      .map(({ x, i }) => ({
        name: unnamed ? i : x.name!,
        // Indexed dynamic values are stored hashed: viem returns the topic itself.
        read: x.type === "string" || x.type === "bytes" || x.type === "tuple" || /\[\d*\]$/.test(x.type) ? undefined : compile(x).read,
      }));
    data = event.inputs
      .map((x, i) => ({ x, i }))
      .filter(({ x }) => !x.indexed)
      .map(({ x, i }) => ({ name: unnamed ? i : x.name!, part: compile(x) }));
  } catch (err) {
    if (err instanceof FastDecodeError) return undefined;
    throw err;
  }
  const name = event.name;
  return (topics, hex) => {
    if (topics.length !== indexed.length + 1) throw new FastDecodeError("topic count");
    const args: Record<string | number, unknown> | unknown[] = unnamed ? [] : {};
    for (let i = 0; i < indexed.length; i++) {
      const t = topics[i + 1];
      const r = indexed[i].read;
      (args as Record<string | number, unknown>)[indexed[i].name] = r ? r(t, 0, 0) : t;
    }
    if (data.length > 0) {
      if (hex.length <= 2) throw new FastDecodeError("no data");
      let at = 0;
      for (const d of data) {
        (args as Record<string | number, unknown>)[d.name] = d.part.read(hex, at, 0);
        at += d.part.headSize;
      }
    }
    return { eventName: name, args: Object.keys(args).length > 0 ? args : undefined };
  };
}
