/**
 * Chain values in JSON, the one way every output prints them (the API, the CLI, the evidence
 * bundle): block numbers, log indexes and unix times as JSON numbers (they stay far below 2^53),
 * amounts and ids as decimal strings (a bigint has no JSON form and an amount may exceed 2^53).
 */

/**
 * A block number, log index or unix time as a JSON number, like the API prints them.
 * @throws RangeError when `v` is not a safe integer (a value that would print rounded).
 */
export function chainNumber(v: bigint | number): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new RangeError(`${v} is not a safe integer`);
  return n;
}

/** `value` with every bigint as a decimal string (recursively), ready for JSON.stringify. */
export function jsonSafe(value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return value.map(jsonSafe);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonSafe(v)]));
  }
  return value;
}
