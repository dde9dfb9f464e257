/**
 * PostgreSQL's binary COPY format (https://www.postgresql.org/docs/15/sql-copy.html, "Binary
 * Format") for the bulk writer: rows go to the server as length-prefixed fields written straight
 * into buffers, with no escaping on this side and no text parsing on the server's. Only the column
 * types the indexer writes have an encoder; a table with any other type keeps COPY's text format.
 */

/** The type oids with a binary encoder here (pg_type.oid). */
const INT8 = 20;
const INT2 = 21;
const INT4 = 23;
const TEXT = 25;
const BOOL = 16;
const VARCHAR = 1043;
const BYTEA = 17;

export const BINARY_TYPES: ReadonlySet<number> = new Set([INT8, INT2, INT4, TEXT, BOOL, VARCHAR, BYTEA]);

/** The file header: signature, flags (no OIDs) and a header extension of length 0. */
const HEADER = Buffer.from([0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]);
/** The file trailer: a tuple field count of -1. */
const TRAILER = Buffer.from([0xff, 0xff]);

/** Bytes per piece handed to the COPY stream. */
const PIECE = 256 * 1024;
const TWO_32 = 2 ** 32;

/** A column value the encoder cannot write as its column's type. */
export class CopyValueError extends TypeError {}

function integer(v: unknown, column: string): number | bigint {
  if (typeof v === "number") {
    if (!Number.isInteger(v)) throw new CopyValueError(`bulk copy: ${column} is an integer column, got ${v}`);
    return v;
  }
  if (typeof v === "bigint") return v;
  if (typeof v === "string" && /^-?\d+$/.test(v)) return BigInt(v);
  throw new CopyValueError(`bulk copy: ${column} is an integer column, got a ${typeof v}`);
}

/**
 * The rows as a binary COPY stream, in pieces of about 256 KB: `types[c]` is the type oid of
 * `cols[c]` (each one in BINARY_TYPES). Values are what the text format would take: numbers,
 * bigints or digit strings for integers, strings (or numbers, written as their decimal text) for
 * text, booleans for bool, null or undefined for NULL.
 */
export function* copyBinary(rows: readonly object[], cols: readonly string[], types: readonly number[]): Generator<Buffer> {
  const n = cols.length;
  /** Room for a tuple's fixed part: its field count, and per field a length and at most 8 bytes. */
  const fixed = 2 + 12 * n;
  let buf = Buffer.allocUnsafe(PIECE);
  buf.set(HEADER, 0);
  let off = HEADER.length;
  for (const row of rows as readonly Record<string, unknown>[]) {
    // Each field below has room for itself and the fixed part of the rest of the tuple: the
    // fixed-size fields need no check of their own.
    if (off + fixed > buf.length) {
      yield buf.subarray(0, off);
      buf = Buffer.allocUnsafe(PIECE);
      off = 0;
    }
    buf.writeInt16BE(n, off);
    off += 2;
    for (let c = 0; c < n; c++) {
      const v = row[cols[c]];
      if (v === null || v === undefined) {
        buf.writeInt32BE(-1, off);
        off += 4;
        continue;
      }
      const type = types[c];
      if (type === TEXT || type === VARCHAR || type === BYTEA) {
        let s: string | undefined;
        let bytes: Uint8Array | undefined;
        if (type === BYTEA) {
          if (!(v instanceof Uint8Array)) throw new CopyValueError(`bulk copy: ${cols[c]} is a bytea column, got a ${typeof v}`);
          bytes = v;
        } else {
          s = typeof v === "string" ? v : typeof v === "number" || typeof v === "bigint" ? String(v) : undefined;
          if (s === undefined) throw new CopyValueError(`bulk copy: ${cols[c]} is a text column, got a ${typeof v}`);
        }
        // At most 3 bytes of UTF-8 per UTF-16 unit.
        const most = 4 + (bytes ? bytes.length : 3 * s!.length) + fixed;
        if (off + most > buf.length) {
          yield buf.subarray(0, off);
          buf = Buffer.allocUnsafe(Math.max(PIECE, most));
          off = 0;
        }
        const written = bytes ? (buf.set(bytes, off + 4), bytes.length) : buf.write(s!, off + 4, "utf8");
        buf.writeInt32BE(written, off);
        off += 4 + written;
        continue;
      }
      if (type === BOOL) {
        if (typeof v !== "boolean") throw new CopyValueError(`bulk copy: ${cols[c]} is a bool column, got a ${typeof v}`);
        buf.writeInt32BE(1, off);
        buf[off + 4] = v ? 1 : 0;
        off += 5;
        continue;
      }
      const x = integer(v, cols[c]);
      if (type === INT8) {
        buf.writeInt32BE(8, off);
        if (typeof x === "number" && Number.isSafeInteger(x)) {
          const hi = Math.floor(x / TWO_32);
          buf.writeInt32BE(hi, off + 4);
          buf.writeUInt32BE(x - hi * TWO_32, off + 8);
        } else {
          buf.writeBigInt64BE(BigInt(x), off + 4);
        }
        off += 12;
      } else if (type === INT4) {
        buf.writeInt32BE(4, off);
        buf.writeInt32BE(Number(x), off + 4);
        off += 8;
      } else if (type === INT2) {
        buf.writeInt32BE(2, off);
        buf.writeInt16BE(Number(x), off + 4);
        off += 6;
      } else {
        throw new CopyValueError(`bulk copy: no binary encoder for ${cols[c]} (type oid ${type})`);
      }
    }
  }
  if (off + TRAILER.length > buf.length) {
    yield buf.subarray(0, off);
    buf = Buffer.allocUnsafe(TRAILER.length);
    off = 0;
  }
  buf.set(TRAILER, off);
  yield buf.subarray(0, off + TRAILER.length);
}
