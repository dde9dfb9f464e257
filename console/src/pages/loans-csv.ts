/**
 * The loans table's CSV export: every page of the current filter and sort through the API's keyset
 * cursor, one row per loan, amounts as integers in minor units (the API's decimal strings, untouched).
 */
import { saveBlob } from "../lib/download";
import type { Schemas } from "../api/client";

type Loan = Schemas["LoanSummary"];

/** The columns, in order: header name and the loan's value as text. */
export const CSV_COLUMNS: readonly [string, (l: Loan) => string | number | boolean | null][] = [
  ["loanId", (l) => l.loanId],
  ["lender", (l) => l.lender],
  ["borrower", (l) => l.borrower],
  ["token", (l) => l.settlement.token],
  ["currency", (l) => l.settlement.currency],
  ["principal", (l) => l.principal],
  ["state", (l) => l.status.state],
  ["dpd", (l) => l.status.dpd],
  ["bucket", (l) => l.status.bucket],
  ["classification", (l) => l.status.classification],
  ["amountOverdue", (l) => l.status.amountOverdue],
  ["penaltyAccrued", (l) => l.status.penaltyAccrued],
  ["outstandingPrincipal", (l) => l.status.outstandingPrincipal],
  ["outstandingInterest", (l) => l.status.outstandingInterest],
  ["nextDueDate", (l) => l.status.nextDue?.date ?? null],
  ["nextDueAmount", (l) => l.status.nextDue?.amount ?? null],
  ["defaulted", (l) => l.status.defaulted],
  ["observation", (l) => l.status.observation],
];

/** One CSV field (RFC 4180): quoted when it holds a comma, quote or line break, quotes doubled; null is empty. */
export function csvField(v: string | number | boolean | null): string {
  const s = v === null ? "" : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The CSV text of `loans`: a header row, then one row per loan, CRLF line ends. */
export function loansCsv(loans: readonly Loan[]): string {
  const lines = [CSV_COLUMNS.map(([name]) => csvField(name)).join(",")];
  for (const l of loans) lines.push(CSV_COLUMNS.map(([, get]) => csvField(get(l))).join(","));
  return lines.join("\r\n") + "\r\n";
}

/**
 * Every loan of the query: pages of `pageSize` fetched in turn through `nextCursor`, `onProgress`
 * told the count so far after each page; stops early when `signal` aborts.
 */
export async function fetchAllLoans(
  fetchPage: (cursor: string, limit: number) => Promise<{ items: Loan[]; nextCursor: string | null }>,
  onProgress: (count: number) => void,
  signal: AbortSignal,
  pageSize = 500,
): Promise<Loan[]> {
  const all: Loan[] = [];
  let cursor = "";
  for (;;) {
    signal.throwIfAborted();
    const page = await fetchPage(cursor, pageSize);
    all.push(...page.items);
    onProgress(all.length);
    if (!page.nextCursor) return all;
    cursor = page.nextCursor;
  }
}

/** Saves `text` as a CSV file named `name`. */
export function download(text: string, name: string): void {
  saveBlob(new Blob([text], { type: "text/csv;charset=utf-8" }), name);
}
