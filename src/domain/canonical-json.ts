/**
 * Canonical JSON (the shape of RFC 8785, JCS): object keys sorted by UTF-16 code units, no
 * whitespace, `undefined` members left out. The same value always gives the same bytes, so a hash
 * of it (a notice plan's plan_hash, a webhook payload's evidence hash, a model's version) depends on the content only.
 * Numbers must be finite (integers here: amounts travel as decimal strings); a bigint is refused so
 * that nobody hashes a value JSON cannot carry.
 */
import { InvalidArgumentError } from "./errors";

/** `value` as canonical JSON text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new InvalidArgumentError("value", `canonical JSON: ${value} is not a finite number`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? "null" : canonicalJson(v))).join(",")}]`;
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  throw new InvalidArgumentError("value", `canonical JSON: a ${typeof value} has no JSON form`);
}
