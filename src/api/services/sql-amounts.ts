import { sql, type RawBuilder } from "kysely";

/**
 * Exact sums of decimal-string amounts in SQL, with the same SQL on SQLite and PostgreSQL.
 *
 * Amounts are `text` (they may exceed 64 bits), and SQLite has no exact wide integer: summing
 * `cast(amount as integer)` would overflow or turn into a float. So each amount is cut into
 * 9-digit chunks counted from the right, each chunk is summed as a bigint (a chunk is below 10^9,
 * so even 10^9 rows sum below 2^63), and the chunk sums are recombined exactly in TypeScript:
 * sum = Σ chunkSum_k · 10^(9k). Chunk sums may be negative (a subtracted amount), which the
 * recombination handles as well.
 */
export const CHUNK_DIGITS = 9;
/** 5 × 9 = 45 digits: more than any uint128 amount, or a sum of 600 uint96 installment parts. */
export const CHUNKS = 5;

/** Chunk `k` (digits 9k+1 .. 9k+9 from the right) of a decimal-string expression, as a bigint. */
export function amountChunk(expr: RawBuilder<unknown>, k: number): RawBuilder<number> {
  const from = sql.lit(CHUNK_DIGITS * k);
  const upto = sql.lit(CHUNK_DIGITS * k + CHUNK_DIGITS);
  const start = sql.lit(CHUNK_DIGITS * k + CHUNK_DIGITS - 1);
  return sql<number>`cast(case
      when length(${expr}) > ${upto} then substr(${expr}, length(${expr}) - ${start}, ${sql.lit(CHUNK_DIGITS)})
      when length(${expr}) > ${from} then substr(${expr}, 1, length(${expr}) - ${from})
      else '0' end as bigint)`;
}

/** `sum(chunk_k(expr))` for every chunk, aliased `${alias}_0` .. `${alias}_4`. */
export function sumAmountColumns(expr: RawBuilder<unknown>, alias: string): RawBuilder<unknown>[] {
  return Array.from({ length: CHUNKS }, (_, k) => sql`sum(${amountChunk(expr, k)}) as ${sql.ref(`${alias}_${k}`)}`);
}

/** Recombines the chunk sums `${alias}_0..4` of a result row into the exact total. */
export function amountFromChunks(row: Record<string, unknown>, alias: string): bigint {
  let total = 0n;
  for (let k = CHUNKS - 1; k >= 0; k--) {
    const v = row[`${alias}_${k}`];
    // PostgreSQL returns sum(bigint) as numeric (a string); SQLite as a number. Both are integers.
    total = total * 10n ** BigInt(CHUNK_DIGITS) + (v === null || v === undefined ? 0n : BigInt(String(v)));
  }
  return total;
}
