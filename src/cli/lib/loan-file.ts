/**
 * A loans file for `loans register` (src/files/loan-file.ts, shared with the console): a file that
 * cannot be read as rows is a UsageError with the same message.
 */
import { parseLoanFile as parseLoans, type LoanFileContext, type LoanRow, type RowProblem } from "../../files/loan-file";
import { asUsageError } from "./errors";

export { loanRowSchema, type LoanFileContext, type LoanParams, type LoanRow, type RowProblem } from "../../files/loan-file";

/**
 * Reads and validates a loans file (.json or .csv by extension).
 * @returns the valid rows and every problem found (rows with problems are not returned).
 * @throws UsageError when the file cannot be read as JSON/CSV at all.
 */
export function parseLoanFile(file: string, text: string, ctx: LoanFileContext): { rows: LoanRow[]; problems: RowProblem[] } {
  return asUsageError(() => parseLoans(file, text, ctx));
}
