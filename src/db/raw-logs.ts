/**
 * The bytes `raw_logs` keeps of a log (migration 0019): its topics one after the other, 32 bytes
 * each, and its data as it is; and back to the 0x hex the decoders take.
 */
import type { Hex } from "viem";

/** The stored form of a log's topics and data. */
export function storedLog(topics: readonly Hex[], data: Hex): { topics: Buffer; data: Buffer } {
  const t = Buffer.allocUnsafe(32 * topics.length);
  for (let i = 0; i < topics.length; i++) t.write(topics[i].slice(2), 32 * i, "hex");
  return { topics: t, data: Buffer.from(data.slice(2), "hex") };
}

const hex = (b: Uint8Array, from = 0, to = b.byteLength): Hex =>
  `0x${Buffer.from(b.buffer, b.byteOffset + from, to - from).toString("hex")}`;

/** The topics of a stored log, as 0x hex. */
export function topicsOf(stored: Uint8Array): Hex[] {
  const out: Hex[] = [];
  for (let i = 0; i + 32 <= stored.byteLength; i += 32) out.push(hex(stored, i, i + 32));
  return out;
}

/** The data of a stored log, as 0x hex. */
export function dataOf(stored: Uint8Array): Hex {
  return hex(stored);
}
