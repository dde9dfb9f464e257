/**
 * The ISO 3166 code a loan is registered under (contracts/libraries/Jurisdictions.sol is the twin):
 * a country, ISO 3166-1 alpha-2 ("CN", "US", "GB"), or a subdivision, ISO 3166-2 ("US-CA", "GB-SCT").
 * On chain it is a `bytes6`: upper-case ASCII, left-aligned, zero-padded. A subdivision without rules
 * of its own follows its country's.
 */
import { InvalidArgumentError } from "./errors";

/** A well-formed code, as text: two letters, optionally "-" and one to three letters or digits. */
export const JURISDICTION_PATTERN = /^[A-Z]{2}(-[A-Z0-9]{1,3})?$/;

/** Whether `code` is a well-formed jurisdiction (Jurisdictions.isValid). */
export function isValidJurisdiction(code: string): boolean {
  return JURISDICTION_PATTERN.test(code);
}

/**
 * The `bytes6` of a code, as 0x-prefixed hex.
 * @throws InvalidArgumentError when the code is not well-formed.
 */
export function encodeJurisdiction(code: string): `0x${string}` {
  if (!isValidJurisdiction(code)) throw new InvalidArgumentError("jurisdiction", `"${code}" is not an ISO 3166 code such as CN, GB or US-CA`);
  // No Buffer: the console validates loan files in the browser with this code.
  const hex = [...code].map((c) => c.charCodeAt(0).toString(16).padStart(2, "0")).join("");
  return `0x${hex.padEnd(12, "0")}`;
}

/** The code of a `bytes6` (trailing zero bytes dropped); "" for zero. */
export function decodeJurisdiction(bytes6: string): string {
  const hex = bytes6.startsWith("0x") ? bytes6.slice(2) : bytes6;
  let text = "";
  for (let i = 0; i + 1 < hex.length; i += 2) text += String.fromCharCode(parseInt(hex.slice(i, i + 2), 16));
  return text.replace(/\0+$/, "");
}

/** The country of a code ("US" of "US-CA"). */
export function countryOf(code: string): string {
  return code.slice(0, 2);
}
