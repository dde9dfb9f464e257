/** The preview of a valid file: how many loans, the principal per settlement asset (minor units). */
import { hexToString, zeroAddress } from "viem";
import type { LoanRow } from "../../../../src/files/loan-file";

/** An ERC-20 token's address, or the ISO-4217 code of a loan settled off chain. */
export function assetOf(row: LoanRow): string {
  return row.params.token !== zeroAddress ? row.params.token : hexToString(row.params.currency, { size: 3 });
}

/** Principal totals per asset, in the file's order of first appearance; exact (bigint). */
export function totalsByAsset(rows: LoanRow[]): { asset: string; loans: number; principal: bigint }[] {
  const totals = new Map<string, { asset: string; loans: number; principal: bigint }>();
  for (const r of rows) {
    const asset = assetOf(r);
    const t = totals.get(asset) ?? { asset, loans: 0, principal: 0n };
    t.loans += 1;
    t.principal += r.params.principal;
    totals.set(asset, t);
  }
  return [...totals.values()];
}
